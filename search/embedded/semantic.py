"""Semantic retrieval: brute-force cosine over the memory-mapped embedding matrix, cut per query
(a large shard asks its graph instead: ``search.embedded.approximate``)."""

import os

import numpy as np
from threadpoolctl import threadpool_limits

from search import shards
from search.shards import Moments

# From this many rows, the scan gets every core (see ``set_scan_threads``).
PARALLEL_SCAN_ROWS = 50_000


def cosines(matrix: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
    """The cosine of every row with the query: rows and query are L2-normalised at encode time,
    so it is one matrix-vector product."""
    return matrix @ query_vector


def above_cut(
    scores: np.ndarray, cut: float | None, allowed: np.ndarray | None, live: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose cosine ``scores`` reach ``cut`` (None: the cut of the live rows' moments,
    ``search.shards.Moments.cut``, as a set of shards computes it),
    as chunk ids (int64) and cosines (float64), best first; ``allowed`` (a mask over rows)
    keeps filtered-out rows out. Only the rows above the cut are sorted."""
    if cut is None:
        cut = moments(scores if live is None else scores[live]).cut(shards.CUT_DEVIATIONS)
    kept = scores >= cut
    if allowed is not None:
        kept &= allowed
    rows = np.flatnonzero(kept)
    return kept_above(rows, scores[rows], cut)


def kept_above(rows: np.ndarray, scores: np.ndarray, cut: float) -> tuple[np.ndarray, np.ndarray]:
    """Of ``rows`` and their cosines ``scores``, those reaching ``cut``, best first; of equal
    cosines (a passage repeated word for word), the lower row first, wherever the rows came from."""
    kept = scores >= cut
    rows, scores = rows[kept], scores[kept]
    order = np.lexsort((rows, -scores))
    return rows[order].astype(np.int64), scores[order].astype(np.float64)


def moments(scores: np.ndarray) -> Moments:
    """The moments of ``scores`` (the live rows' cosines), for a cut over many shards."""
    values = scores.astype(np.float64)
    return Moments(len(values), float(values.sum()), float(values @ values))


def set_scan_threads(rows: int) -> None:
    """Give the matrix scan of ``rows`` rows one BLAS thread, or one per core, in this whole
    process (the scan is its only BLAS work).

    OpenBLAS's idle workers spin on the other core after each product. A hybrid query of
    200,000 passages is 10 ms faster with two scan threads (23.4 against 33.9 ms); at 4,341
    the spinning worker took the core the keyword search and the model needed (GlobeNewswire:
    the keyword search started 4.5 ms after the query instead of 1.5 ms, the whole query took
    15.0 ms against 11.7 with one thread). Between those sizes the threshold is a judgement: a
    single-threaded scan of ``PARALLEL_SCAN_ROWS`` rows should take about 7 ms, a quarter of
    the 27 ms measured at 200,000.
    """
    threadpool_limits(limits=(os.cpu_count() or 1) if rows >= PARALLEL_SCAN_ROWS else 1, user_api="blas")
