"""Which approximate nearest-neighbour library for the vectors at scale (issue 21): recall@10
against the exact scan, query latency, build time and index size, per library and setting.

    python bench/ann_choice.py --index /tmp/gnw-index --index /tmp/scifact-index \\
        --queries bench/judged/globenewswire/queries.jsonl --queries ../shared/data/beir/scifact/queries.jsonl \\
        --rows 100000 [--json out.json]

The vectors are the real passage vectors of the given indexes; past their count, ``--rows``
is reached with perturbed copies of them (each real vector plus Gaussian noise, renormalised),
as issue 21 allows for scale. The queries are real query texts encoded by the product's encoder.
Recall@10 is the share of the exact top 10 (inner product on unit vectors, as the product's
scan) that the library returns. One thread per query, as the server runs them.

Needs hnswlib, usearch and faiss-cpu (``pip install hnswlib usearch faiss-cpu``), which the
product does not (yet).
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from search.embedded.index_format import open_generation
from search.pipeline import Searcher

NOISE = 0.05  # standard deviation of the perturbation, per dimension, before renormalising
QUERIES_PER_FILE = 300
EF_SEARCH = (32, 64, 128, 256)


def real_vectors(index_dirs: list[Path]) -> np.ndarray:
    """The live passage vectors of the indexes' current generations."""
    parts = [np.load(open_generation(directory).vectors_path) for directory in index_dirs]
    vectors = np.vstack(parts).astype(np.float32)
    return vectors[np.linalg.norm(vectors, axis=1) > 0]  # deleted rows are zero


def scaled(vectors: np.ndarray, rows: int, seed: int = 21) -> np.ndarray:
    """``vectors`` followed by perturbed copies of them, ``rows`` in all, unit length."""
    generator = np.random.default_rng(seed)
    copies = [vectors]
    while sum(len(part) for part in copies) < rows:
        noisy = vectors + generator.normal(0, NOISE, vectors.shape).astype(np.float32)
        copies.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
    return np.vstack(copies)[:rows]


def encoded_queries(index_dir: Path, query_files: list[Path]) -> np.ndarray:
    texts = []
    for path in query_files:
        lines = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts += lines[:QUERIES_PER_FILE]
    encoder = Searcher(index_dir).current().encoder
    return np.asarray(encoder.encode(texts), dtype=np.float32)


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    scores = queries @ vectors.T
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    return np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1), axis=1)


def recall(found: list[np.ndarray], exact: np.ndarray) -> float:
    pairs = zip(found, exact, strict=True)
    shares = [len(set(row.tolist()) & set(truth.tolist())) / len(truth) for row, truth in pairs]
    return float(np.mean(shares))


def saved_size(save) -> int:
    """The bytes an index takes on disk: ``save(path)`` writes it."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "index"
        save(str(path))
        return path.stat().st_size


def timed_queries(search, queries: np.ndarray) -> tuple[list[np.ndarray], float]:
    """Each query alone; the results and the median milliseconds."""
    found, times = [], []
    for query in queries:
        started = time.perf_counter()
        found.append(np.asarray(search(query)))
        times.append((time.perf_counter() - started) * 1000)
    return found, statistics.median(times)


def hnswlib_runs(vectors, queries, exact, connections):
    import hnswlib

    started = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=vectors.shape[1])
    index.init_index(max_elements=len(vectors), M=connections, ef_construction=200, random_seed=21)
    index.add_items(vectors, np.arange(len(vectors)), num_threads=2)
    build = time.perf_counter() - started
    index.set_num_threads(1)
    size = saved_size(index.save_index)
    for ef in EF_SEARCH:
        index.set_ef(ef)
        found, p50 = timed_queries(lambda query: index.knn_query(query, k=10)[0][0], queries)
        yield f"hnswlib M={connections} ef={ef}", recall(found, exact), p50, build, size


def usearch_runs(vectors, queries, exact, connections, dtype):
    from usearch.index import Index

    started = time.perf_counter()
    index = Index(ndim=vectors.shape[1], metric="ip", dtype=dtype, connectivity=connections, expansion_add=200)
    index.add(np.arange(len(vectors)), vectors, threads=2)
    build = time.perf_counter() - started
    size = saved_size(index.save)
    for ef in EF_SEARCH:
        index.expansion_search = ef
        found, p50 = timed_queries(lambda query: index.search(query, 10, threads=1).keys, queries)
        yield f"usearch {dtype} M={connections} ef={ef}", recall(found, exact), p50, build, size


def faiss_runs(vectors, queries, exact, connections):
    import faiss

    faiss.omp_set_num_threads(2)
    started = time.perf_counter()
    index = faiss.IndexHNSWFlat(vectors.shape[1], connections, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 200
    index.add(vectors)
    build = time.perf_counter() - started
    size = faiss.serialize_index(index).nbytes
    faiss.omp_set_num_threads(1)
    for ef in EF_SEARCH:
        index.hnsw.efSearch = ef
        found, p50 = timed_queries(lambda query: index.search(query[None, :], 10)[1][0], queries)
        yield f"faiss HNSWFlat M={connections} ef={ef}", recall(found, exact), p50, build, size


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--index", type=Path, action="append", required=True)
    arguments.add_argument("--queries", type=Path, action="append", required=True)
    arguments.add_argument("--rows", type=int, default=100_000)
    arguments.add_argument("--json", type=Path)
    options = arguments.parse_args()
    real = real_vectors(options.index)
    vectors = scaled(real, options.rows)
    queries = encoded_queries(options.index[0], options.queries)
    started = time.perf_counter()
    exact = exact_top(vectors, queries)
    scan = (time.perf_counter() - started) * 1000 / len(queries)
    print(f"{len(real):,} real vectors, {len(vectors):,} in all; {len(queries)} queries; exact {scan:.2f} ms/query")
    print(f"{'library and setting':34} {'recall@10':>9} {'p50 ms':>7} {'build s':>8} {'size MB':>8}")
    rows = []
    runs = [
        hnswlib_runs(vectors, queries, exact, 16),
        hnswlib_runs(vectors, queries, exact, 32),
        usearch_runs(vectors, queries, exact, 16, "f32"),
        usearch_runs(vectors, queries, exact, 16, "i8"),
        faiss_runs(vectors, queries, exact, 16),
        faiss_runs(vectors, queries, exact, 32),
    ]
    for run in runs:
        for name, hit_rate, p50, build, size in run:
            rows.append({"setting": name, "recall@10": hit_rate, "p50_ms": p50, "build_s": build, "bytes": size})
            print(f"{name:34} {hit_rate:9.4f} {p50:7.3f} {build:8.1f} {size / 1e6:8.1f}")
    if options.json:
        options.json.write_text(json.dumps({"rows": len(vectors), "real": len(real), "scan_ms": scan, "runs": rows}))


if __name__ == "__main__":
    main()
