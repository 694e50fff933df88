"""The embedded shard: one index generation in this process, Whoosh, numpy and SQLite.

It answers the shard seam (``search.shards.Shard``) over its generation's files
(``search.embedded.index_format``): keyword search on the postings arrays, phrases by Whoosh,
semantic search on the memory-mapped matrix, records from the SQLite store.
"""

import threading
from collections import Counter

import numpy as np

from search.aliases import read_mined_aliases
from search.document_table import DocumentTable
from search.embedded import approximate, semantic, store
from search.embedded.index_format import MINED_ALIASES_FILE, Generation
from search.embedded.keyword import KeywordScorer
from search.embedded.phrases import PhraseMatcher
from search.embedded.postings import Postings
from search.filters import Filters
from search.query import Clause, ParsedQuery
from search.shards import CUT_DEVIATIONS, KeywordHits, KeywordStatistics, Moments, Ranked
from search.spelling import read_vocabulary


class EmbeddedShard:
    """One generation's readers; safe to share between threads (SQLite connections are opened
    once per thread that reads)."""

    def __init__(self, generation: Generation, table: DocumentTable | None = None):
        """``table``: this shard's part of a document table its set shares (``DocumentTable.part``);
        by default it builds its own."""
        self.generation = generation
        self.chunk_rows: int = generation.manifest["chunk_rows"]
        self.model: str = generation.manifest["model"]
        self._local = threading.local()
        self.table = table or DocumentTable.build(self.document_rows(), self.chunk_owners(), self.chunk_rows)
        self.vectors = np.load(generation.vectors_path, mmap_mode="r", allow_pickle=False)
        self.graph = approximate.open_graph(generation, self.vectors, self.table.live)
        semantic.set_scan_threads(approximate.SAMPLE_ROWS if self.graph else len(self.vectors))
        self.phrases = PhraseMatcher(generation.keyword_dir, self.chunk_rows)
        self.keyword = KeywordScorer(Postings.load(generation.path), self.table.live, self.phrases)
        self.mined_aliases: list[list[str]] = read_mined_aliases(generation.path / MINED_ALIASES_FILE)
        self.vocabulary: Counter = read_vocabulary(generation)

    @property
    def store(self):
        if not hasattr(self._local, "store"):
            self._local.store = store.open_read_only(self.generation.store_path)
        return self._local.store

    def keyword_statistics(self, clauses: list[Clause]) -> KeywordStatistics:
        return self.keyword.statistics(clauses)

    def keyword_search(
        self, parsed: ParsedQuery, statistics: KeywordStatistics, filters: Filters, limit: int | None
    ) -> KeywordHits:
        ids, scores = self.keyword.matches(parsed, statistics, filters.chunk_mask(self.table))
        return KeywordHits.of(ids, scores, self.table.chunk_document, len(self.table.doc_ids), limit)

    def cosine_moments(self, vector: np.ndarray) -> Moments:
        if self.graph:
            return self.graph.moments(vector)
        scores = semantic.cosines(self.vectors, vector)
        return semantic.moments(scores if self.table.live is None else scores[self.table.live])

    def semantic_search(self, vector: np.ndarray, cut: float | None, parsed: ParsedQuery, filters: Filters) -> Ranked:
        allowed = self.keyword.constrained(parsed, filters.chunk_mask(self.table))
        if not self.graph:
            return semantic.above_cut(semantic.cosines(self.vectors, vector), cut, allowed, self.table.live)
        cut = self.graph.moments(vector).cut(CUT_DEVIATIONS) if cut is None else cut
        if allowed is not None:
            allowed = allowed if self.table.live is None else allowed & self.table.live
            if allowed.sum() <= approximate.SCAN_SHARE * len(allowed):  # few rows: scan just those
                rows = np.flatnonzero(allowed)
                return semantic.kept_above(rows, semantic.cosines(self.graph.vectors(rows), vector), cut)
        return semantic.kept_above(*self.graph.nearest(vector, allowed), cut)

    def document_rows(self) -> list:
        return store.table_rows(self.store)

    def chunk_owners(self) -> list[tuple[int, str]]:
        return store.chunk_owners(self.store)

    def documents(self, doc_ids: list[str]) -> dict[str, dict]:
        return store.documents_by_id(self.store, doc_ids)

    def chunks(self, chunk_ids: list[int]) -> dict[int, dict]:
        return {chunk_id: dict(row) for chunk_id, row in store.chunks_by_id(self.store, chunk_ids).items()}

    def group_members(self, group_ids: list[str]) -> dict[str, list[dict]]:
        return store.group_members(self.store, group_ids)

    def document(self, doc_id: str) -> dict | None:
        return store.document_with_body(self.store, doc_id)
