"""A Ray cluster of several nodes kept on this machine's loopback address.

Ray replaces a node or cluster address of ``127.0.0.1`` with the address the machine routes
to the outside by, since it expects nodes on other machines. Several nodes on one machine (the
tests', the benchmarks', a trial on a laptop) need no other address, and a machine without a
network has none to use; ``keep_loopback`` turns the replacement off in this process. It
replaces one function of Ray's private API, which is why ``ray`` is pinned in the extra.

    python -m search.cluster.loopback start --head --node-ip-address 127.0.0.1 --port 6399 ...

is ``ray start ...`` with the loopback kept; every process that starts a node or connects to
the cluster needs it (``search.cluster.replicas.connect`` calls it for a loopback address).
"""

import sys

LOOPBACK = ("127.0.0.1", "localhost")


def keep_loopback() -> None:
    from ray._private import services

    services.resolve_ip_for_localhost = lambda host: host


def is_loopback(address: str) -> bool:
    return address.rsplit(":", 1)[0] in LOOPBACK


def main() -> int:
    keep_loopback()
    from ray.scripts.scripts import main as ray_main

    return ray_main()


if __name__ == "__main__":
    sys.exit(main())
