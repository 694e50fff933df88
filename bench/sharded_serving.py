"""Sharded serving and distributed indexing on a local Ray cluster, against one process.

    python bench/sharded_serving.py --index /tmp/gnw-index --corpus /tmp/globenewswire-beir/corpus.jsonl \\
        --queries bench/judged/globenewswire/queries.jsonl [--shards 1,2,4] [--nodes 3] [--json out.json]

Serving: for each shard count, the index is rewritten as that many shards (reusing its
vectors), then each judged query runs hybrid through the embedded shards of this process and
through one replica of each shard on the cluster, alternated query by query; per-query latency
p50/p95 and whether the top 10 agree. Indexing: the corpus written from nothing as ``--nodes``
shards here, then by Ray tasks on the cluster; passages embedded per second.

All the nodes share this machine's cores, so the cluster cannot be faster than one process
here: the figures say what the cluster's calls cost, and what one node indexes.
"""

import argparse
import functools
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from measure import percentiles, record, table

from indexer.build import reindex
from search.cluster import replicas
from search.cluster.local import LocalCluster
from search.pipeline import Searcher


def serving(index: Path, corpus: Path, queries: list[str], shards: int, scratch: Path) -> dict:
    directory = scratch / f"shards-{shards}"
    shutil.copytree(index, directory, copy_function=os.link)
    reindex(corpus, directory, show_progress=False, shards=shards)
    here = Searcher(directory)
    there = Searcher(directory, functools.partial(replicas.replicated, replicas=1))
    for searcher in (here, there):  # warm: the encoder, the page cache
        searcher.search(queries[0])
    here_ms, there_ms, agree = [], [], 0
    for query in queries:
        started = time.perf_counter()
        local = here.search(query)["hits"]
        here_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        remote = there.search(query)["hits"]
        there_ms.append((time.perf_counter() - started) * 1000)
        agree += [hit["doc_id"] for hit in local] == [hit["doc_id"] for hit in remote]
    return {
        "shards": shards,
        "in_process_ms": percentiles(here_ms),
        "on_cluster_ms": percentiles(there_ms),
        "same_top10": agree,
        "queries": len(queries),
    }


def indexing(corpus: Path, shards: int, address: str, scratch: Path) -> dict:
    rates = {}
    for where, options in (("here", {}), ("cluster", {"ray_address": address})):
        started = time.perf_counter()
        report = reindex(corpus, scratch / f"built-{where}", show_progress=False, shards=shards, **options)
        seconds = time.perf_counter() - started
        rates[where] = {"seconds": round(seconds, 1), "passages": report.chunks, "embedded": report.encoded}
        rates[where]["passages_per_s"] = round(report.encoded / seconds, 1)
        if report.parts:
            rates[where]["per_shard"] = [
                {"node": part.node[:12], "passages": part.built.live_chunks, "seconds": round(part.seconds, 1)}
                for part in report.parts
            ]
    return rates


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--index", type=Path, required=True)
    arguments.add_argument("--corpus", type=Path, required=True)
    arguments.add_argument("--queries", type=Path, required=True)
    arguments.add_argument("--shards", default="1,2,4")
    arguments.add_argument("--nodes", type=int, default=3)
    arguments.add_argument("--json", type=Path)
    options = arguments.parse_args()
    lines = options.queries.read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line)["text"] for line in lines if line.strip()]
    with tempfile.TemporaryDirectory() as scratch:
        cluster = LocalCluster(Path(scratch))
        try:
            cluster.start(options.nodes, replicas.connect)
            counts = [int(count) for count in options.shards.split(",")]
            served = [serving(options.index, options.corpus, queries, count, Path(scratch)) for count in counts]
            built = indexing(options.corpus, options.nodes, cluster.address, Path(scratch))
        finally:
            import ray

            ray.shutdown()
            cluster.stop()
    rows = [
        [row["shards"], row["in_process_ms"]["p50"], row["in_process_ms"]["p95"]]
        + [row["on_cluster_ms"]["p50"], row["on_cluster_ms"]["p95"], f"{row['same_top10']}/{row['queries']}"]
        for row in served
    ]
    print(table(["shards", "in process p50", "p95", "on cluster p50", "p95", "same top 10"], rows))
    print(json.dumps(built, indent=1))
    record(options.json, "sharded_serving", {"nodes": options.nodes, "serving": served, "indexing": built})


if __name__ == "__main__":
    main()
