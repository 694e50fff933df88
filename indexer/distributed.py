"""Writing a generation's shards as Ray tasks spread over a cluster's nodes (``reindex --ray``).

The driver reads the corpus, routes documents to shards and finds near-duplicate groups (both
need the whole corpus); each shard's extraction, embedding and keyword indexing then run as one
task on a node, writing into the generation directory, a path every node can read and write
(one disk here; a shared filesystem across machines). The result is the files a local build
writes; the driver writes the generation's manifest and switches ``CURRENT`` as a local build does.
"""

import os
import time

import ray
from tqdm import tqdm

from indexer.build import ShardJob, ShardPart, encoder_loader, write_shard
from search.cluster.replicas import connect
from search.encoder import Encoder

# The driver's configuration (model, encoder, caches, offline mode) applied on every node.
FORWARDED_PREFIXES = ("CLINSEARCH_", "HF_")


def write_on_ray(
    address: str, jobs: list[ShardJob], encoder: Encoder | None, encoders_dir, show_progress: bool
) -> list[ShardPart]:
    """Each job written by a task on the cluster at ``address``, a CPU each, in job order."""
    connect(address)
    forwarded = {name: value for name, value in os.environ.items() if name.startswith(FORWARDED_PREFIXES)}
    task = ray.remote(num_cpus=1)(_written).options(runtime_env={"env_vars": forwarded})
    model_name = jobs[0].changes.model_name
    pending = {task.remote(job, encoder, model_name, encoders_dir): number for number, job in enumerate(jobs)}
    parts: list[ShardPart | None] = [None] * len(jobs)
    with tqdm(total=len(jobs), desc="Shards written on the cluster", unit="shard", disable=not show_progress) as bar:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            parts[pending.pop(done[0])] = ray.get(done[0])
            bar.update()
    return parts


def _written(job: ShardJob, encoder: Encoder | None, model_name: str, encoders_dir) -> ShardPart:
    started = time.perf_counter()
    built = write_shard(job, encoder_loader(encoder, model_name, encoders_dir), show_progress=False)
    return ShardPart(built, ray.get_runtime_context().get_node_id(), time.perf_counter() - started)
