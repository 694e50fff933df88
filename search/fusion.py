"""Fusing the keyword and the semantic ranked lists into one, with each hit's score breakdown.

Both functions take lists of ``(chunk_id, score)``, best first, and return ``FusedHit``s,
best first. A chunk found by one retriever only has ``None`` for the other's rank and score.
"""

from dataclasses import dataclass

RRF_K = 60


@dataclass
class FusedHit:
    """One chunk's fused score and the parts it was made from (ranks count from 1)."""

    chunk_id: int
    score: float
    keyword_rank: int | None = None
    keyword_score: float | None = None
    semantic_rank: int | None = None
    semantic_score: float | None = None


def _breakdown(keyword: list, semantic: list) -> dict[int, FusedHit]:
    hits: dict[int, FusedHit] = {}
    for rank, (chunk_id, score) in enumerate(keyword, start=1):
        hits[chunk_id] = FusedHit(chunk_id, 0.0, keyword_rank=rank, keyword_score=score)
    for rank, (chunk_id, score) in enumerate(semantic, start=1):
        hit = hits.setdefault(chunk_id, FusedHit(chunk_id, 0.0))
        hit.semantic_rank, hit.semantic_score = rank, score
    return hits


def _ranked(hits: dict[int, FusedHit]) -> list[FusedHit]:
    return sorted(hits.values(), key=lambda hit: (-hit.score, hit.chunk_id))


def reciprocal_rank_fusion(keyword: list, semantic: list, k: int = RRF_K) -> list[FusedHit]:
    """RRF (Cormack, Clarke & Büttcher 2009): ``score = Σ 1 / (k + rank)`` over the lists."""
    hits = _breakdown(keyword, semantic)
    for hit in hits.values():
        hit.score = sum(1.0 / (k + rank) for rank in (hit.keyword_rank, hit.semantic_rank) if rank)
    return _ranked(hits)


def _min_max(scores: list[float]) -> tuple[float, float]:
    low, high = min(scores, default=0.0), max(scores, default=0.0)
    return low, (high - low) or 1.0


def convex_combination(keyword: list, semantic: list, alpha: float = 0.5) -> list[FusedHit]:
    """``score = alpha · norm(keyword) + (1 − alpha) · norm(semantic)``, min-max normalised
    per list; a chunk missing from a list gets 0 for that part."""
    hits = _breakdown(keyword, semantic)
    keyword_low, keyword_span = _min_max([score for _, score in keyword])
    semantic_low, semantic_span = _min_max([score for _, score in semantic])
    for hit in hits.values():
        keyword_part = (hit.keyword_score - keyword_low) / keyword_span if hit.keyword_rank else 0.0
        semantic_part = (hit.semantic_score - semantic_low) / semantic_span if hit.semantic_rank else 0.0
        hit.score = alpha * keyword_part + (1 - alpha) * semantic_part
    return _ranked(hits)


def single_list(keyword: list, semantic: list) -> list[FusedHit]:
    """No fusion: one retriever's list (the other is empty), its own score as the score."""
    hits = _breakdown(keyword, semantic)
    for hit in hits.values():
        hit.score = hit.keyword_score if hit.keyword_rank else hit.semantic_score
    return _ranked(hits)
