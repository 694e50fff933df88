"""Replicas of a generation's shards on a Ray cluster, asked as one collection.

Each shard is opened by ``replicas`` Ray actors (``ShardReplica``), each an embedded shard
(``search.embedded``) reading the generation's files from a path every node can read (one disk
here; a shared filesystem across machines). Replica ``r`` of shard ``k`` is placed on node
``(k + r) mod nodes``, so with two replicas no node holds both of a shard's. A query asks one
replica of every shard at once (``ReplicatedShards.asked``), taking replicas in turn; a replica
that fails, or has not answered within ``CALL_TIMEOUT_S``, is passed over for the shard's next
one, and one whose process or node died is replaced by a new actor on a live node, which takes
its turns once it has opened the shard.
"""

import itertools
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import ray
from ray.exceptions import GetTimeoutError, RayActorError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from search.cluster.loopback import is_loopback, keep_loopback
from search.embedded.index_format import Generation, read_generation
from search.embedded.shard import EmbeddedShard
from search.errors import ClinsearchError, ClusterUnavailableError
from search.shards import ShardSet

# Long enough for the slowest query a replica answers under load (a few hundred ms on two
# cores), short enough that a request whose replica's node vanished still succeeds on another.
CALL_TIMEOUT_S = 5.0
# Calls one replica runs at once, on threads: an embedded shard is safe to share between threads,
# and numpy, SQLite and Whoosh release Python's lock for most of their work.
REPLICA_THREADS = 8
HEAD_TIMEOUT_S = 5.0


class ShardUnavailableError(ClinsearchError):
    """No replica of a shard answered."""


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` (``host:port`` of its head) as a driver.

    Raises:
        ClusterUnavailableError: no cluster answers there.
    """
    if ray.is_initialized():
        return
    host, _, port = address.rpartition(":")
    try:  # Ray itself would wait a minute for a head that is not there
        socket.create_connection((host, int(port)), timeout=HEAD_TIMEOUT_S).close()
    except (OSError, ValueError) as error:
        raise ClusterUnavailableError(f"No Ray cluster answers at {address!r} ({error}).") from None
    loopback = is_loopback(address)
    if loopback:
        keep_loopback()
    try:
        ray.init(
            address=address,
            _node_ip_address="127.0.0.1" if loopback else None,
            logging_level="ERROR",
            log_to_driver=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise ClusterUnavailableError(f"No Ray cluster answers at {address}: {error}") from None


@ray.remote(num_cpus=0, max_concurrency=REPLICA_THREADS)
class ShardReplica:
    """One shard of a generation, opened in a Ray actor; answers the shard seam by name."""

    def __init__(self, path: str):
        """``path``: the shard's directory (its manifest, read here, is too large to pass)."""
        self.shard = EmbeddedShard(read_generation(Path(path)))

    def described(self) -> dict:
        shard = self.shard
        return {
            "chunk_rows": shard.chunk_rows,
            "model": shard.model,
            "mined_aliases": shard.mined_aliases,
            "vocabulary": dict(shard.vocabulary),
        }

    def call(self, method: str, *arguments):
        answer = getattr(self.shard, method)(*arguments)
        if method == "document_rows":  # SQLite rows do not travel; plain data does
            return [dict(row) for row in answer]
        if method == "chunk_owners":
            return [tuple(row) for row in answer]
        return answer

    def node(self) -> str:
        return ray.get_runtime_context().get_node_id()


@dataclass
class Replica:
    """A started replica: its actor, the node it was placed on, and its answer to ``described``,
    which comes once it has opened the shard."""

    actor: ray.actor.ActorHandle
    node: str
    loaded: ray.ObjectRef

    def is_loaded(self) -> bool:
        return bool(ray.wait([self.loaded], timeout=0)[0])


class ReplicatedShard:
    """The replicas of one shard, taken in turn: one that fails is passed over, and one that
    died (or whose node did) is replaced on a live node, serving once it has opened the shard."""

    def __init__(self, number: int, path: Path, nodes: list[str]):
        """Start a replica on each of ``nodes`` and wait until they have opened the shard."""
        self.number = number
        self.path = path
        self.replicas = [self._started(node) for node in nodes]
        described = ray.get([replica.loaded for replica in self.replicas])[0]
        self.chunk_rows: int = described["chunk_rows"]
        self.model: str = described["model"]
        self.mined_aliases: list[list[str]] = described["mined_aliases"]
        self.vocabulary = Counter(described["vocabulary"])
        self._turns = itertools.count()
        self._replacing = threading.Lock()

    def _started(self, node: str) -> Replica:
        # A hard placement: a soft one lets Ray move a replica to a node busy starting another's
        # process, which can put both of a shard's replicas on one node.
        placed = NodeAffinitySchedulingStrategy(node, soft=False)
        actor = ShardReplica.options(scheduling_strategy=placed).remote(str(self.path))
        return Replica(actor, node, actor.described.remote())

    def submit(self, method: str, arguments: tuple) -> tuple[Replica, ray.ObjectRef]:
        """Ask the loaded replica whose turn it is; which one, and the answer to come."""
        replicas = list(self.replicas)
        loaded = [replica for replica in replicas if replica.is_loaded()] or replicas
        replica = loaded[next(self._turns) % len(loaded)]
        return replica, replica.actor.call.remote(method, *arguments)

    def answer(self, submitted: tuple[Replica, ray.ObjectRef], method: str, arguments: tuple):
        """The answer to a submitted call, from the other replicas in turn if that one fails.

        Raises:
            ShardUnavailableError: no replica answered.
        """
        replica, reference = submitted
        tried, failure = [], None
        while True:
            try:
                return ray.get(reference, timeout=CALL_TIMEOUT_S)
            except RayActorError as error:  # its process or node is gone
                failure = error
                self._replace(replica)
            except GetTimeoutError as error:  # slow or unreachable: passed over, kept
                failure = error
            tried.append(replica)
            others = [other for other in self.replicas if other not in tried and other.is_loaded()]
            if not others:
                raise ShardUnavailableError(f"No replica of shard {self.number} answered: {type(failure).__name__}.")
            replica = others[0]
            reference = replica.actor.call.remote(method, *arguments)

    def _replace(self, dead: Replica) -> None:
        """Start a replica in place of ``dead`` on a live node, one holding none of this shard's
        other replicas if there is such a node."""
        with self._replacing:
            if dead not in self.replicas:
                return  # another request's failure replaced it already
            ray.kill(dead.actor, no_restart=True)
            alive = sorted(node["NodeID"] for node in ray.nodes() if node["Alive"])
            taken = {replica.node for replica in self.replicas if replica is not dead}
            free = [node for node in alive if node not in taken] or alive
            if free:
                self.replicas[self.replicas.index(dead)] = self._started(free[self.number % len(free)])


class ReplicatedShards(ShardSet):
    """A generation's shards, each asked through one of its replicas, all at once."""

    def asked(self, method: str, arguments: list[tuple]) -> list:
        submitted = [shard.submit(method, given) for shard, given in zip(self.shards, arguments, strict=True)]
        return [
            shard.answer(call, method, given)
            for shard, call, given in zip(self.shards, submitted, arguments, strict=True)
        ]

    def placement(self) -> list[dict]:
        """Each shard's replicas: the node each was placed on, and whether it has opened the shard."""
        return [
            {
                "shard": shard.number,
                "replicas": [{"node": replica.node, "loaded": replica.is_loaded()} for replica in shard.replicas],
            }
            for shard in self.shards
        ]


def replicated(generation: Generation, replicas: int) -> ReplicatedShards:
    """``replicas`` actors for each shard of ``generation``, started on the connected cluster
    (``connect``) and loaded before this returns: replica ``r`` of shard ``k`` on node
    ``(k + r) mod nodes``."""
    nodes = sorted(node["NodeID"] for node in ray.nodes() if node["Alive"])
    shards = [
        ReplicatedShard(number, part.path.resolve(), [nodes[(number + turn) % len(nodes)] for turn in range(replicas)])
        for number, part in enumerate(generation.shards)
    ]
    return ReplicatedShards(shards)
