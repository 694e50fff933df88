"""Semantic retrieval: brute-force cosine top-k over the memory-mapped embedding matrix."""

import functools

import numpy as np
from threadpoolctl import threadpool_limits


def semantic_search(
    matrix: np.ndarray, query_vector: np.ndarray, limit: int, allowed: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """The top ``limit`` rows by cosine similarity as ``(chunk_id, cosine)``, best first;
    ``allowed`` (a boolean mask over rows) keeps filtered-out rows out.

    Rows and the query are L2-normalised at encode time, so cosine is one matrix-vector
    product. ``argpartition`` finds the ``limit`` best in linear time; only those are sorted.
    """
    if limit <= 0 or len(matrix) == 0:
        return []
    scores = matrix @ query_vector
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
        limit = min(limit, int(allowed.sum()))
        if limit == 0:
            return []
    limit = min(limit, len(scores))
    best = np.argpartition(-scores, limit - 1)[:limit]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(row), float(scores[row])) for row in best]


@functools.cache
def scan_on_one_core() -> None:
    """Give the matrix scan one BLAS thread, in this whole process (the scan is its only BLAS
    work), for when the keyword side is Whoosh.

    OpenBLAS's idle workers spin on the other core after each product; measured at 4,341
    passages, that made a Whoosh search running beside the scan 30 % slower. A single-threaded
    scan of 200,000 passages (27 ms against 15 ms) still ends well before Whoosh does (about
    100 ms). The numpy keyword backend is done in a few milliseconds; there two threads make
    a 200,000-passage hybrid query 10 ms faster and change nothing at 4,341 (BENCHMARKS.md).
    """
    threadpool_limits(limits=1, user_api="blas")
