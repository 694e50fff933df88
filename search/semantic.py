"""Semantic retrieval: brute-force cosine top-k over the memory-mapped embedding matrix."""

import numpy as np


def semantic_search(matrix: np.ndarray, query_vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """The top ``limit`` rows by cosine similarity as ``(chunk_id, cosine)``, best first.

    Rows and the query are L2-normalised at encode time, so cosine is one matrix-vector
    product. ``argpartition`` finds the ``limit`` best in linear time; only those are sorted.
    """
    if limit <= 0 or len(matrix) == 0:
        return []
    scores = matrix @ query_vector
    limit = min(limit, len(scores))
    best = np.argpartition(-scores, limit - 1)[:limit]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(row), float(scores[row])) for row in best]
