"""The Whoosh side of the embedded shard: its keyword index, opened, and phrases matched in it.

Whoosh keeps word positions, which the postings arrays do not; so it matches a query's phrases.
Everything else of keyword retrieval runs on the arrays (``search.embedded.keyword``).
``whoosh_clause`` is the one translation of a parsed clause to Whoosh: the search uses it for
phrases, the tests for every kind of clause, to hold our scores against Whoosh's.
"""

import contextlib
import os
import queue
import threading
from pathlib import Path

import numpy as np
from whoosh import query as whoosh_query

from search.embedded.index_format import open_keyword_index
from search.errors import IndexMismatchError
from search.query import AllOf, Clause, Phrase, Term

# Whoosh searchers lent out at a time (see ``PhraseMatcher.searcher``).
SEARCHERS = os.cpu_count() or 1


class PhraseMatcher:
    """The Whoosh index of one generation; safe to share between threads."""

    def __init__(self, keyword_dir: Path, chunk_rows: int):
        self.index = open_keyword_index(keyword_dir)
        _check_document_numbers(self.index, keyword_dir, chunk_rows)
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(SEARCHERS)

    def __call__(self, phrase: Phrase) -> np.ndarray:
        """The live chunks holding ``phrase``, ascending (a Whoosh document number is a chunk id)."""
        with self.searcher() as searcher:
            return np.array(sorted(whoosh_clause(phrase).docs(searcher)), dtype=np.int32)

    @contextlib.contextmanager
    def searcher(self):
        """A Whoosh searcher for this thread's use until the block ends. There are at most
        ``SEARCHERS``; a thread waits for one rather than opening another (when the index was
        memory-mapped, each held a copy of much of it: about 570 MB at 200,000 passages;
        ``open_keyword_index``)."""
        with self._slots:
            try:
                searcher = self._idle.get_nowait()
            except queue.Empty:
                searcher = self.index.searcher()
            try:
                yield searcher
            finally:
                self._idle.put(searcher)


def whoosh_clause(clause: Clause) -> whoosh_query.Query:
    """A parsed clause (``search.query``) as the Whoosh query that means the same."""
    if isinstance(clause, Term):
        return whoosh_query.Term(clause.field, clause.text, boost=clause.boost)
    if isinstance(clause, Phrase):
        return whoosh_query.Phrase(clause.field, list(clause.words), boost=clause.boost)
    parts = [whoosh_clause(part) for part in clause.clauses]
    if isinstance(clause, AllOf):
        return whoosh_query.And(parts, boost=clause.boost)
    return whoosh_query.Or(parts, boost=clause.boost, scale=clause.scale)


def _check_document_numbers(keyword_index, keyword_dir: Path, chunk_rows: int) -> None:
    """Whoosh document numbers must equal chunk ids (see ``search.embedded.index_format``)."""
    with keyword_index.reader() as reader:
        count = reader.doc_count_all()
        last_in_place = count == 0 or reader.stored_fields(count - 1)["chunk_id"] == count - 1
        if count != chunk_rows or not last_in_place:
            raise IndexMismatchError(
                f"The keyword index of {keyword_dir.parent} does not line up with its chunks. "
                f"Run `clinsearch reindex --index {keyword_dir.parent.parent}` to rebuild it."
            )
