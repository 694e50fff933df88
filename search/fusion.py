"""Fusing the keyword and the semantic ranked lists into one, with each hit's score breakdown.

Retrievers rank passages; users (and judgments) rank documents. So each list is first reduced
to documents, each scored by its best passage (``best_per_document``): a document whose best
keyword passage and best semantic passage differ still gets both parts.

A ranked list is a pair of arrays, ``(keys, scores)``, best first, keys unique integers (chunk
ids or document numbers). The fusion functions return a ``Fused`` list: every key of either
list with its fused score and the parts it was made from, as arrays. A query's result list
holds a few hundred documents and only a page of them is shown, so fusion works on arrays and
``Fused.hit`` makes a ``FusedHit`` for each shown one only.
"""

from dataclasses import dataclass, fields

import numpy as np

RRF_K = 60  # Cormack, Clarke & Büttcher's k, the default of a request's ``rrf_k``

Ranked = tuple[np.ndarray, np.ndarray]  # keys (int64) and scores (float64), best first


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


@dataclass
class Fused:
    """A fused list as parallel arrays, best first. A rank of 0 means the key was not in that
    list (its score there is then NaN); ``boosts`` holds the query-understanding factors
    already in ``scores``."""

    keys: np.ndarray
    scores: np.ndarray
    keyword_ranks: np.ndarray
    keyword_scores: np.ndarray
    semantic_ranks: np.ndarray
    semantic_scores: np.ndarray
    boosts: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)

    def taken(self, positions) -> "Fused":
        """The hits at ``positions`` (an index array or a slice), in that order."""
        return Fused(*(getattr(self, part.name)[positions] for part in fields(self)))

    def best_first(self) -> "Fused":
        """Sorted by score; equal scores by key (a document's number, in doc_id order), so that one
        index and a set of shards, whose lists come in different orders, rank ties alike."""
        return self.taken(np.lexsort((self.keys, -self.scores)))

    def hit(self, position: int, key: str | int) -> FusedHit:
        """The hit at ``position`` as a ``FusedHit`` named ``key`` (a document's id, say)."""
        keyword_rank, semantic_rank = int(self.keyword_ranks[position]), int(self.semantic_ranks[position])
        return FusedHit(
            key,
            float(self.scores[position]),
            keyword_rank or None,
            float(self.keyword_scores[position]) if keyword_rank else None,
            semantic_rank or None,
            float(self.semantic_scores[position]) if semantic_rank else None,
            round(float(self.boosts[position]), 4),
        )


def ranked_list(hits: list[tuple[int, float]]) -> Ranked:
    """A retriever's ``(chunk_id, score)`` list as a ranked list of arrays."""
    keys = np.fromiter((key for key, _ in hits), dtype=np.int64, count=len(hits))
    return keys, np.fromiter((score for _, score in hits), dtype=np.float64, count=len(hits))


EMPTY: Ranked = ranked_list([])
for _array in EMPTY:  # shared by every request that lacks a list: no one may write to it
    _array.setflags(write=False)


def best_per_document(chunks: Ranked, chunk_document: np.ndarray) -> Ranked:
    """A ranked chunk list as a ranked document list: each document (``chunk_document`` maps a
    chunk id to its number) at its best chunk's place, with that chunk's score."""
    keys, scores = chunks
    documents = chunk_document[keys]
    _, first = np.unique(documents, return_index=True)
    first.sort()
    return documents[first], scores[first]


def among(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of ``keys`` are in ``values`` (sorted); ``np.isin`` without its fixed cost, ten
    times what a result list's few hundred keys need."""
    if not len(values):
        return np.zeros(len(keys), dtype=bool)
    places = np.searchsorted(values, keys)
    places[places == len(values)] = 0
    return values[places] == keys


def _breakdown(keyword: Ranked, semantic: Ranked) -> Fused:
    """Every key of either list, the keyword list's first, with its ranks and scores; the
    fused score still 0."""
    keyword_keys, semantic_keys = keyword[0], semantic[0]
    by_key = np.argsort(keyword_keys)
    shared = among(semantic_keys, keyword_keys[by_key])
    keys = np.concatenate([keyword_keys, semantic_keys[~shared]])
    # Where each semantic hit sits in ``keys``: at its keyword hit's place, or after the keyword list.
    place = np.empty(len(semantic_keys), dtype=np.int64)
    place[shared] = by_key[np.searchsorted(keyword_keys, semantic_keys[shared], sorter=by_key)]
    place[~shared] = len(keyword_keys) + np.arange(len(keys) - len(keyword_keys))
    fused = unranked(keys)
    fused.keyword_ranks[: len(keyword_keys)] = np.arange(1, len(keyword_keys) + 1)
    fused.keyword_scores[: len(keyword_keys)] = keyword[1]
    fused.semantic_ranks[place] = np.arange(1, len(semantic_keys) + 1)
    fused.semantic_scores[place] = semantic[1]
    return fused


def unranked(keys: np.ndarray) -> Fused:
    """``keys`` in their order, in no list, with no score: a list no retriever ranked (a
    browse), or the start of a fusion."""
    size = len(keys)
    return Fused(
        keys=keys,
        scores=np.zeros(size),
        keyword_ranks=np.zeros(size, dtype=np.int64),
        keyword_scores=np.full(size, np.nan),
        semantic_ranks=np.zeros(size, dtype=np.int64),
        semantic_scores=np.full(size, np.nan),
        boosts=np.ones(size),
    )


def reciprocal_rank_fusion(keyword: Ranked, semantic: Ranked, k: int = RRF_K) -> Fused:
    """RRF (Cormack, Clarke & Büttcher 2009): ``score = Σ 1 / (k + rank)`` over the lists."""
    fused = _breakdown(keyword, semantic)
    fused.scores = _reciprocal(fused.keyword_ranks, k) + _reciprocal(fused.semantic_ranks, k)
    return fused.best_first()


def _reciprocal(ranks: np.ndarray, k: int) -> np.ndarray:
    """``1 / (k + rank)`` for the keys a list holds, 0 for the others."""
    return np.divide(1.0, k + ranks, out=np.zeros(len(ranks)), where=ranks > 0)


def _min_max(listed: np.ndarray, scores: np.ndarray, found: np.ndarray, lowest: float | None = None) -> np.ndarray:
    """``scores`` (NaN where not ``found``) mapped onto 0–1 by the range of the list's own
    scores ``listed`` (down to ``lowest`` when the list is the best part of a longer one), 0
    where not found; a list of equal scores (one hit) maps to 1."""
    high, low = (listed.max(), listed.min()) if len(listed) else (0.0, 0.0)
    low = low if lowest is None else min(low, lowest)
    normalised = np.ones(len(scores)) if high == low else (scores - low) / (high - low)
    return np.where(found, normalised, 0.0)


def convex_combination(
    keyword: Ranked, semantic: Ranked, alpha: float = 0.5, keyword_lowest: float | None = None
) -> Fused:
    """``score = alpha · norm(keyword) + (1 − alpha) · norm(semantic)``, min-max normalised
    per list (the keyword list's range reaching down to ``keyword_lowest``, when given: the
    list is the best part of the keyword matches); a key missing from a list gets 0 for that part."""
    fused = _breakdown(keyword, semantic)
    keyword_part = _min_max(keyword[1], fused.keyword_scores, fused.keyword_ranks > 0, keyword_lowest)
    semantic_part = _min_max(semantic[1], fused.semantic_scores, fused.semantic_ranks > 0)
    fused.scores = alpha * keyword_part + (1 - alpha) * semantic_part
    return fused.best_first()


def single_list(keyword: Ranked, semantic: Ranked) -> Fused:
    """No fusion: one retriever's list (the other is empty), its own score as the score."""
    fused = _breakdown(keyword, semantic)
    fused.scores = np.where(fused.keyword_ranks > 0, fused.keyword_scores, fused.semantic_scores)
    return fused.best_first()
