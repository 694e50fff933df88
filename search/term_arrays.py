"""The ``numpy`` keyword backend: Whoosh's BM25F ranking, computed a term at a time with numpy.

Whoosh scores one document at a time, in Python: at 200,000 passages a search takes about
100 ms (BENCHMARKS.md). This backend reads a query term's postings (document numbers and term
frequencies) from the same Whoosh index once, keeps them as arrays in a bounded cache, and
scores every document of a term with one array expression. It ranks with the same formulas:

- BM25F per term, with Whoosh's constants and statistics (``search.keyword.WEIGHTING``): idf
  ``log(N / (df + 1)) + 1`` over all document numbers, Whoosh's one-byte field lengths;
- ``And`` sums its parts where all match; ``Or`` sums those that match, times its boost;
- the coordination factor of ``Or(scale=…)``, Whoosh's ``CoordMatcher``:
  ``(score + (matched − 1) / (terms − scale)²) × (terms − 1) / terms``, where ``terms``
  counts the words of the query's clauses that match something (a phrase counts its words).

Whoosh itself still matches phrases (their positions are not in the arrays; their results are
cached like a term's), filters, and required and excluded clauses, on every query.

Whoosh's own search scores some documents differently, by accidents of how it runs; here
every document gets the score the formulas give it, which is the score Whoosh gives that
document when matching it alone (``tests/test_term_arrays.py``):

- during a search, Whoosh recounts ``terms`` each time a word's postings run out, so
  documents numbered after that point get a different factor;
- it counts ``terms`` per index segment, so after an incremental reindex the same document
  scores differently in the old segment and in the new one;
- on an index of at most 5,000 documents, an ``Or`` of three or more clauses nested in the
  query (alias expansions) is matched by a matcher that reports no matched words, so those
  words do not count in ``matched``.
"""

import collections
import math
import threading
from dataclasses import dataclass

import numpy as np
from whoosh import query
from whoosh.matching import FilterMatcher
from whoosh.searching import Searcher as WhooshSearcher

from search import keyword
from search.query import KEYWORD_FIELDS, ParsedQuery

# Postings kept decoded, at 12 bytes each (a document number and a BM25 weight): 240 MB.
CACHE_POSTINGS = 20_000_000


@dataclass
class Scored:
    """The documents a query node matches (ascending numbers), their scores, how many of the
    query's words each one matched, and how many words the node adds to the coordination
    factor's count (none when it matches nothing)."""

    ids: np.ndarray
    scores: np.ndarray
    matched: np.ndarray
    words: int


class TermArrays:
    """The arrays of one generation's Whoosh index; safe to share between threads. Each call
    takes a Whoosh searcher of that index (``OpenGeneration.keyword_searcher``)."""

    def __init__(self, searcher: WhooshSearcher, k1: float, b: float, live: np.ndarray | None):
        """``live``: document number → not deleted (``FacetIndex.live``; None when none is)."""
        self.k1, self.b = k1, b
        self.documents = searcher.doc_count_all()
        self.live = live
        self._lengths: dict[str, np.ndarray] = {}
        self._cache: collections.OrderedDict = collections.OrderedDict()
        self._cached_postings = 0
        self._lock = threading.Lock()
        for field in KEYWORD_FIELDS:  # read now, not by the first query (0.3 s at 200,000 passages)
            self._field_lengths(searcher, field)

    def search(
        self, searcher: WhooshSearcher, parsed: ParsedQuery, limit: int | None, allowed: query.Query | None = None
    ) -> list[tuple[int, float]] | None:
        """What ``search.keyword.keyword_search`` returns, or None when the query holds a kind
        of clause this backend does not score (the caller then asks Whoosh)."""
        if parsed.keyword is query.NullQuery:
            return []
        scored = self._evaluate(searcher, parsed.keyword)
        if scored is None:
            return None
        keep = np.ones(len(scored.ids), dtype=bool) if self.live is None else self.live[scored.ids]
        constraints = [constraint for constraint in (allowed, parsed.required) if constraint is not None]
        if constraints:
            keep &= np.isin(scored.ids, list(keyword.matching_chunks(searcher, query.And(constraints))))
        if parsed.excluded is not None:
            keep &= ~np.isin(scored.ids, list(keyword.matching_chunks(searcher, parsed.excluded)))
        return _best(scored.ids[keep], scored.scores[keep], limit)

    def _evaluate(self, searcher: WhooshSearcher, node: query.Query) -> Scored | None:
        if isinstance(node, query.Term):
            return self._term(searcher, node)
        if isinstance(node, query.Phrase):
            return self._phrase(searcher, node)
        if isinstance(node, (query.And, query.Or)) and node.subqueries:
            parts = [self._evaluate(searcher, subquery) for subquery in node.subqueries]
            if any(part is None for part in parts):
                return None
            if len(parts) == 1:  # Whoosh, too, drops the compound (and its boost) around one clause
                return parts[0]
            combined = _intersection(parts) if isinstance(node, query.And) else _union(parts)
            combined.words = self._words(combined.ids, combined.words)
            if node.boost != 1:
                combined.scores = combined.scores * node.boost
            terms = combined.words if isinstance(node, query.Or) and node.scale else 0
            if terms:  # (when nothing matches, Whoosh adds no factor)
                factor = (terms - 1) / terms
                combined.scores = (combined.scores + (combined.matched - 1) / (terms - node.scale) ** 2) * factor
            return combined
        return None

    def _term(self, searcher: WhooshSearcher, term: query.Term) -> Scored:
        ids, weights = self._cached(("term", term.fieldname, term.text), lambda: self._bm25_weights(searcher, term))
        frequency = searcher.doc_frequency(term.fieldname, term.text)
        idf = math.log(self.documents / (frequency + 1)) + 1
        return Scored(ids, weights * (idf * term.boost), np.ones(len(ids), dtype=np.int32), self._words(ids, 1))

    def _bm25_weights(self, searcher: WhooshSearcher, term: query.Term) -> tuple[np.ndarray, np.ndarray]:
        """A term's documents and BM25 weight in each, without the idf (which the query applies)."""
        ids, frequencies = _postings(searcher, term.fieldname, term.text)
        average = searcher.field_length(term.fieldname) / (self.documents or 1) or 1
        lengths = self._field_lengths(searcher, term.fieldname)[ids]
        k1, b = self.k1, self.b
        weights = frequencies * (k1 + 1) / (frequencies + k1 * ((1 - b) + b * lengths / average))
        return ids.astype(np.int32), weights

    def _phrase(self, searcher: WhooshSearcher, phrase: query.Phrase) -> Scored:
        """Whoosh matches and scores a phrase (positions are not in the arrays); the result is cached."""
        key = ("phrase", phrase.fieldname, tuple(phrase.words), phrase.slop, phrase.boost)
        ids, scores = self._cached(key, lambda: _whoosh_scores(searcher, phrase))
        return Scored(
            ids, scores, np.full(len(ids), len(phrase.words), dtype=np.int32), self._words(ids, len(phrase.words))
        )

    def _words(self, ids: np.ndarray, words: int) -> int:
        """``words`` if a live document is among ``ids``, else 0: Whoosh drops a clause that
        matches nothing before it counts the coordination factor's words."""
        return words if (len(ids) if self.live is None else self.live[ids].any()) else 0

    def _field_lengths(self, searcher: WhooshSearcher, field: str) -> np.ndarray:
        """Document number → the field's length as Whoosh stores it (one byte, decoded)."""
        if field not in self._lengths:
            reader = searcher.reader()
            lengths = [reader.doc_field_length(number, field, 0) or 0 for number in range(self.documents)]
            self._lengths[field] = np.array(lengths, dtype=np.float64)
        return self._lengths[field]

    def _cached(self, key: tuple, compute) -> tuple[np.ndarray, np.ndarray]:
        """``compute()``'s arrays, kept for the next queries that need them, the least recently
        used dropped first. Every entry counts (``_weight``): a stream of misspellings, each
        matching nothing, cannot grow the cache past its bound."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        arrays = compute()
        for array in arrays:
            array.flags.writeable = False  # shared by every query that reads them
        with self._lock:
            if key not in self._cache:
                self._cache[key] = arrays
                self._cached_postings += _weight(arrays)
                while self._cached_postings > CACHE_POSTINGS and len(self._cache) > 1:
                    _, evicted = self._cache.popitem(last=False)
                    self._cached_postings -= _weight(evicted)
        return arrays


def _weight(arrays: tuple[np.ndarray, np.ndarray]) -> int:
    """A cache entry's size in postings: its own, and its two arrays' fixed cost (about
    480 bytes measured, as much as 40 postings)."""
    return len(arrays[0]) + 40


def _postings(searcher: WhooshSearcher, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """A term's document numbers (ascending) and term frequencies, from every segment.

    Reads Whoosh's posting blocks whole (``whoosh.codec.whoosh3.W3LeafMatcher``, the format of
    the pinned whoosh-reloaded 2.7.5): each holds delta-encoded numbers and their weights.
    """
    encoded = searcher.schema[field].to_bytes(text)
    ids, frequencies = [], []
    for segment, offset in _segments(searcher):
        reader = segment.reader()
        if (field, encoded) not in reader:
            continue
        block = reader.postings(field, encoded)
        if isinstance(block, FilterMatcher):  # it hides deleted documents; ``TermArrays.live`` does that
            block = block.child
        while block.is_active():
            block._read_data()
            deltas, weights = block._data[0], block._data[1]
            ids.append(np.cumsum(np.asarray(deltas, dtype=np.int64)) + offset)
            frequencies.append(_block_weights(weights, block._blocklength))
            block._next_block()
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(ids), np.concatenate(frequencies)


def _block_weights(weights, count: int) -> np.ndarray:
    if weights is None:  # every posting of the block has weight 1
        return np.ones(count)
    if isinstance(weights, float):  # all the same
        return np.full(count, weights)
    return np.asarray(weights, dtype=np.float64)


def _segments(searcher: WhooshSearcher) -> list[tuple[WhooshSearcher, int]]:
    return [(searcher, 0)] if searcher.is_atomic() else list(searcher.subsearchers)


def _whoosh_scores(searcher: WhooshSearcher, node: query.Query) -> tuple[np.ndarray, np.ndarray]:
    """The documents ``node`` matches and Whoosh's score of each, in document order."""
    ids, scores = [], []
    for segment, offset in _segments(searcher):
        matcher = node.matcher(segment)
        while matcher.is_active():
            ids.append(matcher.id() + offset)
            scores.append(matcher.score())
            matcher.next()
    return np.array(ids, dtype=np.int32), np.array(scores, dtype=np.float64)


def _union(parts: list[Scored]) -> Scored:
    ids, where = np.unique(np.concatenate([part.ids for part in parts]), return_inverse=True)
    scores = np.bincount(where, weights=np.concatenate([part.scores for part in parts]), minlength=len(ids))
    matched = np.bincount(where, weights=np.concatenate([part.matched for part in parts]), minlength=len(ids))
    return Scored(ids, scores.astype(np.float64), matched.astype(np.int32), sum(part.words for part in parts))


def _intersection(parts: list[Scored]) -> Scored:
    ids = parts[0].ids
    for part in parts[1:]:
        ids = np.intersect1d(ids, part.ids, assume_unique=True)
    positions = [np.searchsorted(part.ids, ids) for part in parts]
    scores = sum(part.scores[at] for part, at in zip(parts, positions, strict=True))
    matched = sum(part.matched[at] for part, at in zip(parts, positions, strict=True))
    words = sum(part.words for part in parts)
    return Scored(ids, np.asarray(scores, dtype=np.float64), np.asarray(matched, dtype=np.int32), words)


def _best(ids: np.ndarray, scores: np.ndarray, limit: int | None) -> list[tuple[int, float]]:
    """The ``limit`` best (all when None) as ``(document number, score)``; of equal scores, the
    lower document numbers first, as Whoosh's collector keeps them (``ids`` are ascending)."""
    if limit is not None and limit <= 0:
        return []
    if limit is not None and len(ids) > limit:
        threshold = -np.partition(-scores, limit - 1)[limit - 1]
        above = np.flatnonzero(scores > threshold)
        tied = np.flatnonzero(scores == threshold)[: limit - len(above)]
        kept = np.concatenate([above, tied])
        ids, scores = ids[kept], scores[kept]
    order = np.lexsort((ids, -scores))
    return [(int(ids[i]), float(scores[i])) for i in order]
