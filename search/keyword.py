"""Keyword retrieval: a parsed query against the Whoosh BM25F index of chunks.

``CLINSEARCH_KEYWORD`` chooses who scores it: ``whoosh`` (its matchers, one document at a
time) or ``numpy`` (``search.term_arrays``: the same ranking, a term at a time over arrays).
"""

from whoosh import query, scoring
from whoosh.searching import Searcher as WhooshSearcher

from search import settings
from search.query import ParsedQuery

# BM25F with the usual constants (Robertson & Zaragoza 2009, k1 in 1.2–2.0, b = 0.75).
WEIGHTING = scoring.BM25F(B=0.75, K1=1.2)
BACKENDS = ("numpy", "whoosh")
DEFAULT_BACKEND = "numpy"


def configured_backend() -> str:
    """``CLINSEARCH_KEYWORD``, else the default backend.

    Raises:
        ClinsearchError: an unknown backend is configured.
    """
    return settings.choice("CLINSEARCH_KEYWORD", BACKENDS, DEFAULT_BACKEND)


def keyword_search(
    searcher: WhooshSearcher, parsed: ParsedQuery, limit: int | None, allowed: query.Query | None = None
):
    """The top ``limit`` chunks (all when None) as ``(chunk_id, bm25f_score)``, best first, among
    those that match ``allowed`` (the request's filters) and the query's required clauses, minus
    its excluded ones.
    """
    if parsed.keyword is query.NullQuery:
        return []
    constraints = [constraint for constraint in (allowed, parsed.required) if constraint is not None]
    results = searcher.search(
        parsed.keyword,
        limit=limit,
        filter=query.And(constraints) if constraints else None,
        mask=parsed.excluded,
    )
    # A Whoosh document number is the chunk id (search.index_format): no stored field to read.
    return [(hit.docnum, hit.score) for hit in results]


def without_unmatched(searcher: WhooshSearcher, scoring: query.Query) -> query.Query:
    """``scoring`` without the clauses of its top ``Or`` that match nothing, and without the
    ``Or`` when one clause is left: Whoosh's coordination factor over one clause is 0, so an
    alias expansion that matched nothing zeroed every score of the user's word."""
    if not isinstance(scoring, query.Or):
        return scoring
    kept = [clause for clause in scoring.subqueries if matches_any(searcher, clause)]
    if len(kept) == len(scoring.subqueries):
        return scoring
    if len(kept) <= 1:
        return kept[0] if kept else query.NullQuery
    return query.Or(kept, boost=scoring.boost, scale=scoring.scale)


def matches_any(searcher: WhooshSearcher, clause: query.Query) -> bool:
    """Whether any chunk matches ``clause`` (Whoosh's matchers skip deleted chunks)."""
    return clause.matcher(searcher).is_active()


def matching_chunks(searcher: WhooshSearcher, constraint: query.Query) -> set[int]:
    """The ids of all chunks that match ``constraint`` (document numbers are chunk ids)."""
    return set(constraint.docs(searcher))
