"""Semantic retrieval: brute-force cosine top-k over the memory-mapped embedding matrix."""

import numpy as np


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
