"""Keyword retrieval: parse the user's query and run it against the Whoosh BM25F index."""

from whoosh import qparser, query, scoring
from whoosh.fields import Schema
from whoosh.searching import Searcher as WhooshSearcher

SEARCH_FIELDS = ["title", "text"]

# BM25F with the usual constants (Robertson & Zaragoza 2009, k1 in 1.2–2.0, b = 0.75).
WEIGHTING = scoring.BM25F(B=0.75, K1=1.2)


def query_parser(schema: Schema) -> qparser.QueryParser:
    """A parser over title and text where every word counts but none is required.

    ``OrGroup.factory(0.9)`` scores a passage that holds more of the query's words above one
    that repeats a single word. Wildcards are off: ``*`` would enumerate the whole vocabulary.
    """
    parser = qparser.MultifieldParser(SEARCH_FIELDS, schema, group=qparser.OrGroup.factory(0.9))
    parser.remove_plugin_class(qparser.WildcardPlugin)
    return parser


def parse(parser: qparser.QueryParser, text: str) -> query.Query:
    """The Whoosh query for ``text``; operator soup such as ``((( AND`` parses to nothing."""
    return parser.parse(text)


def query_terms(parsed: query.Query) -> set[str]:
    """The analysed terms of a parsed query, for highlighting passages."""
    return {text for _field, text in parsed.iter_all_terms() if isinstance(text, str)}


def keyword_search(searcher: WhooshSearcher, parsed: query.Query, limit: int) -> list[tuple[int, float]]:
    """The top ``limit`` chunks as ``(chunk_id, bm25f_score)``, best first."""
    if parsed is query.NullQuery:
        return []
    results = searcher.search(parsed, limit=limit)
    return [(hit["chunk_id"], hit.score) for hit in results]
