"""A Ray cluster of several nodes on this machine's loopback: for the tests, the benchmarks
and a trial run.

Each node is a ``ray start --block`` process (through ``search.cluster.loopback``, so that
it keeps 127.0.0.1) in a process group of its own: killing the group kills the node's raylet
and services, and with them its workers, as a machine's loss would.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import ray

NODE_START_S = 60  # a node's processes start in a few seconds; on a loaded CI machine, more


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalCluster:
    """``nodes`` nodes of one CPU each; the head's address is ``address``. ``start`` starts the
    head, connects this process as the driver, then adds the other nodes one at a time (two
    nodes starting at once on a loaded two-core machine can miss Ray's startup deadline)."""

    def __init__(self, logs: Path):
        """``logs``: a directory for each node's output."""
        self.address = f"127.0.0.1:{free_port()}"
        self.logs = logs
        self.nodes: list[subprocess.Popen] = []

    def start(self, nodes: int, connect) -> None:
        """Start ``nodes`` nodes; ``connect(address)`` joins the head as the driver."""
        port = self.address.rsplit(":", 1)[1]
        self._start("--head", "--port", port, "--include-dashboard", "false", "--disable-usage-stats")
        self._wait_for_head()
        connect(self.address)
        self._wait_for_nodes(1)
        while len(self.nodes) < nodes:
            self._start("--address", self.address)
            self._wait_for_nodes(len(self.nodes))

    def _start(self, *options: str) -> None:
        command = [sys.executable, "-m", "search.cluster.loopback", "start", "--block"]
        command += ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", *options]
        environment = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        with open(self.logs / f"node-{len(self.nodes)}.log", "wb") as log:
            self.nodes.append(
                subprocess.Popen(command, env=environment, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
            )

    def _wait_for_head(self) -> None:
        host, port = self.address.rsplit(":", 1)
        deadline = time.monotonic() + NODE_START_S
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the Ray head at {self.address} did not start; see {self.logs}")

    def _wait_for_nodes(self, count: int) -> None:
        """Wait until the driver sees ``count`` live nodes.

        Raises:
            RuntimeError: a node's process ended, or the nodes did not come in time."""
        deadline = time.monotonic() + NODE_START_S
        while sum(node["Alive"] for node in ray.nodes()) < count:
            ended = [number for number, node in enumerate(self.nodes) if node.poll() is not None]
            if ended or time.monotonic() > deadline:
                raise RuntimeError(f"the Ray cluster has not got {count} live nodes; see the logs in {self.logs}")
            time.sleep(0.2)

    def kill(self, number: int) -> None:
        """Kill node ``number`` (0 is the head) outright, as a machine's loss would."""
        os.killpg(self.nodes[number].pid, signal.SIGKILL)
        self.nodes[number].wait()

    def stop(self) -> None:
        """Kill every node (a gentle stop drains each node for 30 s); their workers, each in a
        session of its own, end when their node's raylet does."""
        for number, node in enumerate(self.nodes):
            if node.poll() is None:
                self.kill(number)
