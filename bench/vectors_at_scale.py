"""The semantic side at scale, exact scan against the product's HNSW graph (search.embedded.approximate):
per-query latency (moments, cut and hits, as a shard computes them), recall@10 against the scan,
with and without a filter, graph build time, size and the memory it takes once loaded.

    python bench/vectors_at_scale.py --index /tmp/gnw-index --index /tmp/scifact-index --index /tmp/birco-index \\
        --queries bench/judged/globenewswire/queries.jsonl --queries ../shared/data/beir/scifact/queries.jsonl \\
        --rows 100000 --rows 1000000 [--json out.json]

Vectors as in ``bench/ann_choice.py``: the indexes' real passage vectors, and past their count
perturbed copies of them (stand-ins, said so in the output). Queries: real texts, encoded by
the product's encoder. Exact and graph queries alternate, one thread each, as the server runs them.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from ann_choice import encoded_queries, real_vectors, scaled

from search.embedded import approximate, semantic
from search.shards import CUT_DEVIATIONS

FILTER_SHARES = (None, 0.3, 0.1)  # no filter; filters that 30 % and 10 % of the rows pass (walked with a bitmap)


def exact_hits(vectors, query, allowed):
    return semantic.above_cut(semantic.cosines(vectors, query), None, allowed, None)


def graph_hits(graph, query, allowed):
    cut = graph.moments(query).cut(CUT_DEVIATIONS)
    return semantic.kept_above(*graph.nearest(query, allowed), cut)


def rss_mb() -> float:
    """This process's resident memory now (``ru_maxrss`` is its peak, which loading never moves
    past the vectors' and the build's)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def measure(vectors: np.ndarray, queries: np.ndarray, share: float | None, graph) -> dict:
    allowed = None if share is None else np.random.default_rng(3).random(len(vectors)) < share
    exact_ms, graph_ms, recalls = [], [], []
    for query in queries:
        started = time.perf_counter()
        exact = exact_hits(vectors, query, allowed)[0][:10]
        exact_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        found = graph_hits(graph, query, allowed)[0][:10]
        graph_ms.append((time.perf_counter() - started) * 1000)
        if len(exact):
            recalls.append(len(np.intersect1d(exact, found)) / len(exact))
    return {
        "filter_share": share,
        "exact_p50_ms": statistics.median(exact_ms),
        "exact_p95_ms": float(np.percentile(exact_ms, 95)),
        "graph_p50_ms": statistics.median(graph_ms),
        "graph_p95_ms": float(np.percentile(graph_ms, 95)),
        "recall@10": float(np.mean(recalls)),
        "queries": len(recalls),
    }


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--index", type=Path, action="append", required=True)
    arguments.add_argument("--queries", type=Path, action="append", required=True)
    arguments.add_argument("--rows", type=int, action="append", required=True)
    arguments.add_argument("--json", type=Path)
    options = arguments.parse_args()
    real = real_vectors(options.index)
    queries = encoded_queries(options.index[0], options.queries)
    semantic.set_scan_threads(1)
    results = []
    for rows in options.rows:
        vectors = scaled(real, rows)
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "vectors.hnsw"
            started = time.perf_counter()
            approximate.build(vectors, None, path)
            build_s = time.perf_counter() - started
            before = rss_mb()
            graph = approximate.Graph(path, vectors, None)
            row = {"rows": rows, "real_rows": min(rows, len(real)), "build_s": build_s}
            row.update(graph_mb=path.stat().st_size / 1e6, graph_rss_mb=rss_mb() - before)
            for share in FILTER_SHARES:
                results.append({**row, **measure(vectors, queries, share, graph)})
                print(json.dumps(results[-1]), flush=True)
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
