"""Keyword retrieval of the embedded shard: Whoosh's BM25F ranking, computed a term at a time
with numpy over the generation's own postings arrays (``search.embedded.postings``).

It ranks with Whoosh's formulas, from statistics the caller passes in (``search.shards.
KeywordStatistics``: those of one shard, or of every shard summed, so that shards score as
one index would):

- BM25F per term, with Whoosh's constants: idf ``log(N / (df + 1)) + 1``, N counting every
  chunk row, Whoosh's one-byte field lengths;
- a phrase scores the sum of its words' scores where it matches (Whoosh intersects its
  words' matchers); ``AllOf`` sums its parts where all match; ``AnyOf`` sums those that
  match; each times its boost;
- the coordination factor of ``AnyOf(scale=…)``, Whoosh's ``CoordMatcher``:
  ``(score + (matched − 1) / (terms − scale)²) × (terms − 1) / terms``, where ``terms``
  counts the words of the query's clauses that match something (a phrase counts its words).

Phrases are matched by Whoosh (positions are not in the arrays: ``search.embedded.phrases``).
Whoosh's own search scores some documents differently, by accidents of how it runs; here
every chunk gets the score the formulas give it, which is the score Whoosh gives that chunk
when matching it alone (``tests/test_keyword_scoring.py``): during a search Whoosh recounts
``terms`` each time a word's postings run out, and it counts them per index segment.
"""

import collections
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from search.embedded.postings import Postings
from search.query import AllOf, AnyOf, Clause, ParsedQuery, Phrase, Term, clause_terms, subclauses
from search.shards import KeywordStatistics

# BM25F with the usual constants (Robertson & Zaragoza 2009, k1 in 1.2–2.0, b = 0.75).
K1, B = 1.2, 0.75
# Arrays kept computed, counted in postings (a chunk id and a weight each): at most 20 million.
CACHE_POSTINGS = 20_000_000
# A union of at least one posting per this many chunk rows is summed into arrays over every row
# rather than sorted: for a 500,000-row shard, 16.8 against 8.9 ms at 250,000 postings, 75 against
# 12 ms at a million; below about one per eight rows the sort is the faster.
DENSE_UNION_SHARE = 4


@dataclass
class Scored:
    """The chunks a clause matches (ascending ids), their scores, how many of the query's
    words each matched, and how many words the clause adds to the coordination count."""

    ids: np.ndarray
    scores: np.ndarray
    matched: np.ndarray
    words: int


class KeywordScorer:
    """Scores parsed queries on one shard's postings; safe to share between threads.
    ``live``: chunk id → not deleted (None when none is); ``match_phrase`` gives the live
    chunks holding a phrase, ascending."""

    def __init__(self, postings: Postings, live: np.ndarray | None, match_phrase: Callable[[Phrase], np.ndarray]):
        self.postings, self.live, self._match_phrase = postings, live, match_phrase
        self._cache = _Cache(CACHE_POSTINGS)

    def statistics(self, clauses: list[Clause]) -> KeywordStatistics:
        """What BM25F needs of this shard for ``clauses``, and which of their parts match a live chunk."""
        parts = {part for clause in clauses for part in subclauses(clause)}  # each once
        terms = {term for clause in clauses for term in clause_terms(clause)}
        return KeywordStatistics(
            documents=self.postings.chunk_rows,
            lengths={name: field.total_length for name, field in self.postings.fields.items()},
            frequencies={
                (name, text): self.postings.fields[name].document_frequency(text)
                for name, text in terms
                if name in self.postings.fields
            },
            matching=frozenset(part for part in parts if self._matches(part)),
        )

    def _matches(self, clause: Clause) -> bool:
        """Whether ``clause`` matches a live chunk, without listing its matches where it need not."""
        if isinstance(clause, AnyOf):
            return any(self._matches(part) for part in clause.clauses)
        if isinstance(clause, Term) and self.live is None:
            field = self.postings.fields.get(clause.field)
            return field is not None and field.document_frequency(clause.text) > 0
        return len(self.matching(clause)) > 0

    def matches(
        self, parsed: ParsedQuery, statistics: KeywordStatistics, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk (ascending) with its BM25F score among those ``allowed`` (a mask over
        chunk rows; None lets all through) that hold the query's keyword clause and required
        clauses and none of its excluded ones."""
        if parsed.keyword is None:
            return _NO_IDS, np.zeros(0)
        scored = self._score(parsed.keyword, statistics)
        mask = self.constrained(parsed, allowed)
        if mask is None:
            return scored.ids, scored.scores
        keep = mask[scored.ids]
        return scored.ids[keep], scored.scores[keep]

    def constrained(self, parsed: ParsedQuery, allowed: np.ndarray | None) -> np.ndarray | None:
        """The chunk rows a hit of either retriever may be: live, ``allowed`` (the filters'
        mask), holding the query's required clauses and none of its excluded ones; None when
        all may."""
        mask = allowed
        if self.live is not None:
            mask = self.live if mask is None else mask & self.live
        if parsed.required is None and parsed.excluded is None:
            return mask
        mask = np.ones(self.postings.chunk_rows, dtype=bool) if mask is None else mask.copy()
        if parsed.required is not None:
            required = np.zeros(len(mask), dtype=bool)
            required[self.matching(parsed.required)] = True
            mask &= required
        if parsed.excluded is not None:
            mask[self.matching(parsed.excluded)] = False
        return mask

    def matching(self, clause: Clause) -> np.ndarray:
        """The live chunks ``clause`` matches, ascending."""
        if isinstance(clause, Phrase):
            return self._cache.get(("phrase", clause.field, clause.words), lambda: (self._match_phrase(clause),))[0]
        if isinstance(clause, Term):
            field = self.postings.fields.get(clause.field)
            ids = field.postings(clause.text)[0] if field is not None else _NO_IDS
            return ids if self.live is None else ids[self.live[ids]]
        parts = [self.matching(part) for part in clause.clauses]
        if isinstance(clause, AllOf):
            return _intersected(parts)
        return np.unique(np.concatenate(parts)) if parts else _NO_IDS

    def _score(self, clause: Clause, statistics: KeywordStatistics) -> Scored:
        if isinstance(clause, Term):
            return self._term(clause, statistics)
        if isinstance(clause, Phrase):
            return self._phrase(clause, statistics)
        parts = [self._score(part, statistics) for part in clause.clauses]
        if len(parts) == 1:  # Whoosh, too, drops the compound (and its boost) around one clause
            return parts[0]
        combined = _intersection(parts) if isinstance(clause, AllOf) else _union(parts, self.postings.chunk_rows)
        if isinstance(clause, AllOf) and clause not in statistics.matching:
            combined.words = 0  # (an AnyOf's parts that match nothing already count none)
        if clause.boost != 1:
            combined.scores = combined.scores * clause.boost
        terms = combined.words if isinstance(clause, AnyOf) and clause.scale else 0
        if terms:  # (when nothing matches, Whoosh adds no factor)
            factor = (terms - 1) / terms
            combined.scores = (combined.scores + (combined.matched - 1) / (terms - clause.scale) ** 2) * factor
        return combined

    def _term(self, term: Term, statistics: KeywordStatistics) -> Scored:
        ids, weights = self._weights(term.field, term.text, statistics)
        idf = _idf(statistics, term.field, term.text)
        words = 1 if term in statistics.matching else 0
        return Scored(ids, weights * (idf * term.boost), np.ones(len(ids), dtype=np.int32), words)

    def _phrase(self, phrase: Phrase, statistics: KeywordStatistics) -> Scored:
        ids = self.matching(phrase)
        scores = np.zeros(len(ids))
        for word in phrase.words:
            word_ids, weights = self._weights(phrase.field, word, statistics)
            scores += weights[np.searchsorted(word_ids, ids)] * _idf(statistics, phrase.field, word)
        words = len(phrase.words) if phrase in statistics.matching else 0
        return Scored(ids, scores * phrase.boost, np.full(len(ids), len(phrase.words), dtype=np.int32), words)

    def _weights(self, field: str, text: str, statistics: KeywordStatistics) -> tuple[np.ndarray, np.ndarray]:
        """A term's chunks and BM25 weight in each, without the idf (which the query applies)."""
        average = statistics.lengths.get(field, 0) / (statistics.documents or 1) or 1

        def compute():
            if field not in self.postings.fields:
                return _NO_IDS, np.zeros(0)
            postings = self.postings.fields[field]
            ids, frequencies = postings.postings(text)
            frequencies = frequencies.astype(np.float64)
            lengths = postings.lengths[ids].astype(np.float64)
            return ids, frequencies * (K1 + 1) / (frequencies + K1 * ((1 - B) + B * lengths / average))

        return self._cache.get(("term", field, text, average), compute)


def _idf(statistics: KeywordStatistics, field: str, text: str) -> float:
    return math.log(statistics.documents / (statistics.frequencies.get((field, text), 0) + 1)) + 1


class _Cache:
    """Computed arrays kept for the next queries that need them, the least recently used
    dropped first. Every entry counts (its arrays' length and their fixed cost, about 480
    bytes measured, as much as 40 postings): a stream of misspellings, each matching nothing,
    cannot grow it past its bound."""

    def __init__(self, bound: int):
        self._bound, self._size = bound, 0
        self._entries: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable[[], tuple]) -> tuple:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        arrays = compute()
        for array in arrays:
            array.flags.writeable = False  # shared by every query that reads them
        with self._lock:
            if key not in self._entries:
                self._entries[key] = arrays
                self._size += len(arrays[0]) + 40
                while self._size > self._bound and len(self._entries) > 1:
                    _, evicted = self._entries.popitem(last=False)
                    self._size -= len(evicted[0]) + 40
        return arrays


def _intersected(parts: list[np.ndarray]) -> np.ndarray:
    ids = parts[0]
    for part in parts[1:]:
        ids = np.intersect1d(ids, part, assume_unique=True)
    return ids


def _union(parts: list[Scored], chunk_rows: int) -> Scored:
    """Every chunk any part matches, its scores and matched words summed over the parts."""
    ids = np.concatenate([part.ids for part in parts])
    if len(ids) * DENSE_UNION_SHARE >= chunk_rows:
        # Summing into arrays over every chunk row costs the rows, not a sort of the postings.
        matched = np.bincount(ids, weights=np.concatenate([part.matched for part in parts]), minlength=chunk_rows)
        scores = np.bincount(ids, weights=np.concatenate([part.scores for part in parts]), minlength=chunk_rows)
        where = np.flatnonzero(matched).astype(ids.dtype)
        ids, scores, matched = where, scores[where], matched[where]
    else:
        ids, where = np.unique(ids, return_inverse=True)
        scores = np.bincount(where, weights=np.concatenate([part.scores for part in parts]), minlength=len(ids))
        matched = np.bincount(where, weights=np.concatenate([part.matched for part in parts]), minlength=len(ids))
    return Scored(ids, scores.astype(np.float64), matched.astype(np.int32), sum(part.words for part in parts))


def _intersection(parts: list[Scored]) -> Scored:
    ids = _intersected([part.ids for part in parts])
    positions = [np.searchsorted(part.ids, ids) for part in parts]
    scores = sum(part.scores[at] for part, at in zip(parts, positions, strict=True))
    matched = sum(part.matched[at] for part, at in zip(parts, positions, strict=True))
    words = sum(part.words for part in parts)
    return Scored(ids, np.asarray(scores, dtype=np.float64), np.asarray(matched, dtype=np.int32), words)


_NO_IDS = np.zeros(0, dtype=np.int32)
_NO_IDS.setflags(write=False)
