"""Semantic retrieval: brute-force cosine top-k over the memory-mapped embedding matrix."""

import os

import numpy as np
from threadpoolctl import threadpool_limits


def semantic_search(
    matrix: np.ndarray, query_vector: np.ndarray, limit: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The top ``limit`` rows by cosine similarity as arrays of chunk ids (int64) and cosines
    (float64), best first; ``allowed`` (a boolean mask over rows) keeps filtered-out rows out.

    Rows and the query are L2-normalised at encode time, so cosine is one matrix-vector
    product. ``argpartition`` finds the ``limit`` best in linear time; only those are sorted.
    """
    if limit <= 0 or len(matrix) == 0:
        return _nothing()
    scores = matrix @ query_vector
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
        limit = min(limit, int(allowed.sum()))
        if limit == 0:
            return _nothing()
    limit = min(limit, len(scores))
    best = np.argpartition(-scores, limit - 1)[:limit]
    best = best[np.argsort(-scores[best], kind="stable")]
    return best.astype(np.int64), scores[best].astype(np.float64)


def _nothing() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0)


# From this many rows, the scan gets every core (see ``set_scan_threads``).
PARALLEL_SCAN_ROWS = 50_000


def set_scan_threads(rows: int, keyword_backend: str) -> None:
    """Give the matrix scan of ``rows`` rows one BLAS thread, or one per core, in this whole
    process (the scan is its only BLAS work).

    OpenBLAS's idle workers spin on the other core after each product. Beside a Whoosh search
    (about 100 ms at 200,000 passages) a second scan thread only slowed it, by 30 % at 4,341
    passages. With the numpy keyword backend, a hybrid query of 200,000 passages is 10 ms
    faster with two scan threads (23.4 against 33.9 ms); at 4,341 the spinning worker took the
    core the keyword search, the model and the page read ahead needed (GlobeNewswire: the
    keyword search started 4.5 ms after the query instead of 1.5 ms, the whole query took 15.0
    ms against 11.7 with one thread). Between those sizes the threshold is a judgement: a
    single-threaded scan of ``PARALLEL_SCAN_ROWS`` rows should take about 7 ms, a quarter of
    the 27 ms measured at 200,000.
    """
    parallel = keyword_backend != "whoosh" and rows >= PARALLEL_SCAN_ROWS
    threadpool_limits(limits=(os.cpu_count() or 1) if parallel else 1, user_api="blas")
