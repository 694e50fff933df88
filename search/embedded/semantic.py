"""Semantic retrieval: brute-force cosine over the memory-mapped embedding matrix, cut per query."""

import os

import numpy as np
from threadpoolctl import threadpool_limits

# How far a passage's cosine must stand above the query's usual cosine to be a semantic hit, in
# standard deviations of the query's cosines over every passage of the index. A fixed cosine
# does not fit every corpus: on the GlobeNewswire releases unrelated passages reach 0.31–0.39,
# above the 0.25 that suited the bundled stories. Chosen with bench/semantic_cut.py (BENCHMARKS.md).
CUT_DEVIATIONS = 1.5


def semantic_search(
    matrix: np.ndarray, query_vector: np.ndarray, allowed: np.ndarray | None = None, live: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every row whose cosine similarity clears the query's cut (``cosine_cut``), as arrays of
    chunk ids (int64) and cosines (float64), best first; ``allowed`` (a boolean mask over rows)
    keeps filtered-out rows out; ``live`` (rows not deleted, None when none is) are the rows the
    cut is measured on.

    Rows and the query are L2-normalised at encode time, so cosine is one matrix-vector
    product; only the rows above the cut are sorted.
    """
    scores = matrix @ query_vector
    kept = scores >= cosine_cut(scores if live is None else scores[live])
    if allowed is not None:
        kept &= allowed
    rows = np.flatnonzero(kept)
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    return rows.astype(np.int64), scores[rows].astype(np.float64)


def cosine_cut(scores: np.ndarray) -> float:
    """The cosine a semantic hit must reach: ``mean + CUT_DEVIATIONS × standard deviation`` of
    the query's cosines with every passage (``scores``), so a hit stands out from this corpus's
    background for this query."""
    if len(scores) == 0:
        return np.inf
    return float(scores.mean() + CUT_DEVIATIONS * scores.std())


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
    threadpool_limits(limits=(os.cpu_count() or 1) if _blas_parallel(rows, keyword_backend) else 1, user_api="blas")


def _blas_parallel(rows: int, keyword_backend: str) -> bool:
    return keyword_backend != "whoosh" and rows >= PARALLEL_SCAN_ROWS
