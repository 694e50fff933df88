"""The shard seam: what a part of the collection answers, and many parts answering as one.

Everything above the seam (``search.pipeline``: fusion, query understanding, facet counting,
near-duplicate folding, paging, result assembly) works on plain arrays and records that any
shard gives. A shard answers:

- the corpus statistics BM25F needs for a query's clauses, and which of them match
  (``keyword_statistics``), so that many shards score with the whole collection's
  statistics and give the scores one index would;
- keyword top-N under filters, scored with given statistics, and how many documents match
  (``keyword_search``);
- the moments of a query vector's cosines (``cosine_moments``) and semantic hits above a
  given cut under filters (``semantic_search``);
- its document table rows, and the documents, passages and groups of given ids.

``search.embedded.EmbeddedShard`` (Whoosh, numpy and SQLite in this process) is one shard.
``ShardSet`` puts several behind the same interface, numbering their chunks one after the
other: a chunk id of shard ``s`` is offset by the chunk rows of the shards before it.
"""

import math
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from search.errors import IndexMismatchError
from search.filters import Filters
from search.fusion import Ranked
from search.query import Clause, ParsedQuery

# How far a passage's cosine must stand above the query's usual cosine to be a semantic hit, in
# standard deviations of the query's cosines over every passage of the collection. A fixed
# cosine does not fit every corpus: on the GlobeNewswire releases unrelated passages reach
# 0.31–0.39, above the 0.25 that suited the bundled stories. Chosen with bench/semantic_cut.py
# (BENCHMARKS.md).
CUT_DEVIATIONS = 1.5


@dataclass(frozen=True)
class KeywordStatistics:
    """What BM25F counts over a collection: chunk rows (deleted ones included, as Whoosh
    counts them), each field's total length, the document frequency of each ``(field, term)``
    asked for; and which of the clauses asked about (and their parts) match a live chunk."""

    documents: int
    lengths: dict[str, int]
    frequencies: dict[tuple[str, str], int]
    matching: frozenset[Clause]

    @staticmethod
    def summed(parts: list["KeywordStatistics"]) -> "KeywordStatistics":
        lengths, frequencies = Counter(), Counter()
        for part in parts:
            lengths.update(part.lengths)
            frequencies.update(part.frequencies)
        return KeywordStatistics(
            sum(part.documents for part in parts),
            dict(lengths),
            dict(frequencies),
            frozenset().union(*(part.matching for part in parts)),
        )


@dataclass(frozen=True)
class KeywordHits:
    """A keyword search's best chunks; how many chunks and documents hold a match, listed or
    not; and the lowest of those documents' scores (a document's is its best chunk's; 0 when
    none), which normalises keyword scores as the whole list would."""

    ranked: Ranked
    chunks: int
    documents: int
    lowest: float

    @property
    def complete(self) -> bool:
        """Whether every matching chunk is listed."""
        return len(self.ranked[0]) == self.chunks

    @staticmethod
    def of(ids: np.ndarray, scores: np.ndarray, chunk_document: np.ndarray, documents: int, limit: int | None):
        """The hits of matching chunks ``ids`` with ``scores``, of which ``limit`` are listed;
        ``chunk_document`` numbers each chunk's document among ``documents``."""
        best_of_document = np.full(documents, -np.inf)
        np.maximum.at(best_of_document, chunk_document[ids], scores)
        held = best_of_document[best_of_document > -np.inf]
        return KeywordHits(best(ids, scores, limit), len(ids), len(held), float(held.min()) if len(held) else 0.0)


@dataclass(frozen=True)
class Moments:
    """Count, sum and sum of squares of a query's cosines with every live passage."""

    count: int
    total: float
    squares: float

    def cut(self, deviations: float) -> float:
        """The cosine a semantic hit must reach: ``mean + deviations × standard deviation`` of the
        query's cosines with every passage, so that a hit stands out from this collection's
        background for this query (inf when there are no passages)."""
        if not self.count:
            return math.inf
        mean = self.total / self.count
        return mean + deviations * math.sqrt(max(self.squares / self.count - mean * mean, 0.0))


class Shard(Protocol):
    """A part of the collection (see the module docstring). Chunk ids are the shard's own."""

    chunk_rows: int  # chunk ids run from 0 to chunk_rows - 1, deleted ones included
    model: str  # the embedding model of its vectors
    mined_aliases: list[list[str]]
    vocabulary: Counter  # plain word → documents holding it (search.spelling)

    def keyword_statistics(self, clauses: list[Clause]) -> KeywordStatistics: ...

    def keyword_search(
        self, parsed: ParsedQuery, statistics: KeywordStatistics, filters: Filters, limit: int | None
    ) -> KeywordHits: ...

    def cosine_moments(self, vector: np.ndarray) -> Moments: ...

    def semantic_search(self, vector: np.ndarray, cut: float | None, parsed: ParsedQuery, filters: Filters) -> Ranked:
        """Live chunks whose cosine with ``vector`` reaches ``cut`` (None: the cut of the shard's
        own moments, ``Moments.cut``), that pass ``filters`` and ``parsed``'s
        required and excluded clauses, best first."""

    def document_rows(self) -> list[dict]: ...

    def chunk_owners(self) -> list[tuple[int, str]]: ...

    def documents(self, doc_ids: list[str]) -> dict[str, dict]: ...

    def chunks(self, chunk_ids: list[int]) -> dict[int, dict]: ...

    def group_members(self, group_ids: list[str]) -> dict[str, list[dict]]: ...

    def document(self, doc_id: str) -> dict | None: ...


def best(ids: np.ndarray, scores: np.ndarray, limit: int | None) -> Ranked:
    """The ``limit`` best (all when None) of ``ids`` by score; of equal scores, the lower ids
    first, as Whoosh's collector keeps them."""
    if limit is not None and len(ids) > limit:
        if limit <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        threshold = -np.partition(-scores, limit - 1)[limit - 1]
        above = np.flatnonzero(scores > threshold)
        tied = np.flatnonzero(scores == threshold)
        kept = np.concatenate([above, tied[np.argsort(ids[tied], kind="stable")][: limit - len(above)]])
        ids, scores = ids[kept], scores[kept]
    order = np.lexsort((ids, -scores))
    return ids[order].astype(np.int64), scores[order].astype(np.float64)


def merged_rows(parts: list[list[dict]]) -> list[dict]:
    """The document rows of several shards (``store.table_rows``), by doc_id, as one index lists them.

    Raises:
        IndexMismatchError: two shards hold the same document."""
    rows = sorted((row for part in parts for row in part), key=lambda row: row["doc_id"])
    doc_ids = Counter(row["doc_id"] for row in rows)
    if len(doc_ids) < len(rows):
        held_twice = [doc_id for doc_id, count in doc_ids.items() if count > 1]
        raise IndexMismatchError(f"{len(held_twice)} documents are in more than one shard, e.g. {held_twice[0]!r}")
    return rows


def offset_owners(parts: list[list[tuple[int, str]]], offsets: np.ndarray) -> list[tuple[int, str]]:
    """Several shards' ``(chunk id, doc_id)`` pairs with the chunk ids of the shards one after the other."""
    pairs = zip(parts, offsets.tolist(), strict=False)  # (offsets ends with the total)
    return [(chunk_id + offset, doc_id) for part, offset in pairs for chunk_id, doc_id in part]


class ShardSet:
    """Several shards answering as one collection (see the module docstring)."""

    def __init__(self, shards: list[Shard], table=None):
        """``table``: the collection's ``search.document_table.DocumentTable``, when the shards
        share one (in one process).

        Raises:
        IndexMismatchError: the shards' vectors come from different models."""
        models = {shard.model for shard in shards}
        if len(models) != 1:
            raise IndexMismatchError(f"shards of one collection must share one embedding model, not {sorted(models)}")
        self.shards, self.table = shards, table
        self.offsets = np.cumsum([0] + [shard.chunk_rows for shard in shards])
        self.chunk_rows = int(self.offsets[-1])
        self.model = shards[0].model
        # A pair found in several shards is one alias.
        self.mined_aliases = list({tuple(group): group for shard in shards for group in shard.mined_aliases}.values())
        self.vocabulary = sum((shard.vocabulary for shard in shards), Counter())

    def each(self, method: str, *arguments) -> list:
        """Every shard's answer to ``method(*arguments)``, in shard order."""
        return self.asked(method, [arguments] * len(self.shards))

    def asked(self, method: str, arguments: list[tuple]) -> list:
        """Shard ``i``'s answer to ``method(*arguments[i])``, for every shard. One after the other
        here, in this process; a set of remote shards asks them all at once."""
        return [getattr(shard, method)(*given) for shard, given in zip(self.shards, arguments, strict=True)]

    def keyword_statistics(self, clauses: list[Clause]) -> KeywordStatistics:
        return KeywordStatistics.summed(self.each("keyword_statistics", clauses))

    def keyword_search(
        self, parsed: ParsedQuery, statistics: KeywordStatistics, filters: Filters, limit: int | None
    ) -> KeywordHits:
        parts = self.each("keyword_search", parsed, statistics, filters, limit)
        held = [part for part in parts if part.documents]
        return KeywordHits(
            self._merged([part.ranked for part in parts], limit),
            sum(part.chunks for part in parts),
            sum(part.documents for part in held),
            min((part.lowest for part in held), default=0.0),
        )

    def cosine_moments(self, vector: np.ndarray) -> Moments:
        parts = self.each("cosine_moments", vector)
        return Moments(sum(p.count for p in parts), sum(p.total for p in parts), sum(p.squares for p in parts))

    def semantic_search(self, vector: np.ndarray, cut: float | None, parsed: ParsedQuery, filters: Filters) -> Ranked:
        cut = self.cosine_moments(vector).cut(CUT_DEVIATIONS) if cut is None else cut
        return self._merged(self.each("semantic_search", vector, cut, parsed, filters), None)

    def _merged(self, lists: list[Ranked], limit: int | None) -> Ranked:
        ids = np.concatenate([ranked[0] + offset for ranked, offset in zip(lists, self.offsets, strict=False)])
        return best(ids, np.concatenate([ranked[1] for ranked in lists]), limit)

    def document_rows(self) -> list[dict]:
        """Every shard's rows, by doc_id, as one index lists them (``merged_rows``)."""
        return merged_rows(self.each("document_rows"))

    def chunk_owners(self) -> list[tuple[int, str]]:
        return offset_owners(self.each("chunk_owners"), self.offsets)

    def documents(self, doc_ids: list[str]) -> dict[str, dict]:
        return {doc_id: row for part in self.each("documents", doc_ids) for doc_id, row in part.items()}

    def chunks(self, chunk_ids: list[int]) -> dict[int, dict]:
        bounds = list(zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist(), strict=True))
        mine = [([int(chunk_id) - low for chunk_id in chunk_ids if low <= chunk_id < high],) for low, high in bounds]
        found = {}
        for part, (low, _) in zip(self.asked("chunks", mine), bounds, strict=True):
            for chunk_id, chunk in part.items():
                found[chunk_id + low] = {**chunk, "chunk_id": chunk_id + low}
        return found

    def group_members(self, group_ids: list[str]) -> dict[str, list[dict]]:
        members = {group_id: [] for group_id in group_ids}
        for part in self.each("group_members", group_ids):
            for group_id, found in part.items():
                members[group_id] += found
        return {group_id: sorted(found, key=lambda d: (d["date"], d["doc_id"])) for group_id, found in members.items()}

    def document(self, doc_id: str) -> dict | None:
        for found, offset in zip(self.each("document", doc_id), self.offsets.tolist(), strict=False):
            if found is not None:
                found["chunks"] = [{**chunk, "chunk_id": chunk["chunk_id"] + offset} for chunk in found["chunks"]]
                return found
        return None
