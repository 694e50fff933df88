"""Fusing the keyword and the semantic ranked lists into one, with each hit's score breakdown.

Retrievers rank passages; users (and judgments) rank documents. So each list is first reduced
to documents, each scored by its best passage (``best_per_document``): a document whose best
keyword passage and best semantic passage differ still gets both parts. The fusion functions
take lists of ``(key, score)``, best first, and return ``FusedHit``s, best first; a key found
by one retriever only has ``None`` for the other's rank and score.
"""

from collections.abc import Callable
from dataclasses import dataclass

RRF_K = 60


@dataclass
class FusedHit:
    """One document's (or chunk's) fused score and the parts it was made from (ranks count from 1)."""

    key: str | int
    score: float
    keyword_rank: int | None = None
    keyword_score: float | None = None
    semantic_rank: int | None = None
    semantic_score: float | None = None
    boost: float = 1.0  # the query-understanding factor already in ``score`` (search.understanding)


def best_per_document(hits: list[tuple[int, float]], doc_of_chunk) -> list[tuple[str, float]]:
    """A ranked chunk list as a ranked document list: each document at its best chunk's place."""
    seen: dict[str, float] = {}
    for chunk_id, score in hits:
        seen.setdefault(doc_of_chunk[chunk_id], score)
    return list(seen.items())


def _breakdown(keyword: list, semantic: list, keep: Callable | None = None) -> dict:
    hits: dict = {}
    for rank, (key, score) in enumerate(keyword, start=1):
        if keep is None or keep(key):
            hits[key] = FusedHit(key, 0.0, keyword_rank=rank, keyword_score=score)
    for rank, (key, score) in enumerate(semantic, start=1):
        if keep is None or keep(key):
            hit = hits.setdefault(key, FusedHit(key, 0.0))
            hit.semantic_rank, hit.semantic_score = rank, score
    return hits


def _ranked(hits: dict) -> list[FusedHit]:
    # Ties keep the keyword list's order, then the semantic list's (dicts keep insertion order).
    return sorted(hits.values(), key=lambda hit: -hit.score)


def reciprocal_rank_fusion(
    keyword: list, semantic: list, k: int = RRF_K, keep: Callable | None = None
) -> list[FusedHit]:
    """RRF (Cormack, Clarke & Büttcher 2009): ``score = Σ 1 / (k + rank)`` over the lists; with
    ``keep``, of the keys it accepts only (their ranks still count every hit of a list)."""
    hits = _breakdown(keyword, semantic, keep)
    for hit in hits.values():
        hit.score = sum(1.0 / (k + rank) for rank in (hit.keyword_rank, hit.semantic_rank) if rank)
    return _ranked(hits)


def _min_max(scores: list[float]):
    """A function mapping ``scores`` onto 0–1; a list of equal scores (one hit) maps to 1."""
    low, high = min(scores, default=0.0), max(scores, default=0.0)
    if high == low:
        return lambda score: 1.0
    return lambda score: (score - low) / (high - low)


def convex_combination(keyword: list, semantic: list, alpha: float = 0.5) -> list[FusedHit]:
    """``score = alpha · norm(keyword) + (1 − alpha) · norm(semantic)``, min-max normalised
    per list; a chunk missing from a list gets 0 for that part."""
    hits = _breakdown(keyword, semantic)
    keyword_norm = _min_max([score for _, score in keyword])
    semantic_norm = _min_max([score for _, score in semantic])
    for hit in hits.values():
        keyword_part = keyword_norm(hit.keyword_score) if hit.keyword_rank else 0.0
        semantic_part = semantic_norm(hit.semantic_score) if hit.semantic_rank else 0.0
        hit.score = alpha * keyword_part + (1 - alpha) * semantic_part
    return _ranked(hits)


def single_list(keyword: list, semantic: list) -> list[FusedHit]:
    """No fusion: one retriever's list (the other is empty), its own score as the score."""
    hits = _breakdown(keyword, semantic)
    for hit in hits.values():
        hit.score = hit.keyword_score if hit.keyword_rank else hit.semantic_score
    return _ranked(hits)
