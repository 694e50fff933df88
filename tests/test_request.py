"""Search parameters from a URL: parsed once, checked once, refused with a reason."""

import pytest
from werkzeug.datastructures import MultiDict

from search.errors import QueryError
from search.request import SearchRequest


def test_parameters_parse_into_a_request():
    request = SearchRequest.from_params(
        MultiDict(
            [
                ("q", " EpCAM  CAR-T "),
                ("k", "5"),
                ("mode", "keyword"),
                ("fusion", "rrf"),
                ("rrf_k", "20"),
                ("alpha", "0.7"),
                ("aliases", "off"),
                ("date_from", "2024-01-01"),
                ("date_to", "2025-12-31"),
                ("source", "Immunofoco"),
                ("source", "Porton Advanced"),
                ("company", "Immunofoco"),
            ]
        )
    )
    assert (request.query, request.k, request.mode, request.fusion, request.rrf_k, request.alpha, request.aliases) == (
        "EpCAM CAR-T",
        5,
        "keyword",
        "rrf",
        20,
        0.7,
        False,
    )
    assert request.filters.date_from == "2024-01-01" and request.filters.date_to == "2025-12-31"
    assert request.filters.selected["source"] == ("Immunofoco", "Porton Advanced")
    assert request.filters.selected["company"] == ("Immunofoco",)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x", "date_from": "21/03/2025"}, "date_from must be an ISO date"),
        ({"q": "x", "date_from": "2025-02-01", "date_to": "2025-01-01"}, "is after date_to"),
        ({"q": "x", "alpha": "1.5"}, "alpha must be between 0 and 1"),
        ({"q": "x", "alpha": "much"}, "alpha must be a number"),
        ({"q": "x", "fusion": "max"}, "fusion must be one of rrf, convex"),
        ({"q": "x", "rrf_k": "0"}, "rrf_k must be"),
        ({"q": "x", "aliases": "maybe"}, "aliases must be true or false"),
        ({"q": "x", "k": "2.5"}, "k must be a whole number"),
        ({"q": "x", "page": "0"}, "page must be at least 1"),
        ({"q": "x", "page": "2", "k": "600"}, "k must be between 1 and 100"),
        ({"q": "x", "page": "11", "k": "100"}, r"page × k at most 1000"),
        ({"q": "x", "page": "last"}, "page must be a whole number"),
        ({"q": "x", "sort": "oldest"}, "sort must be one of relevance, date"),
        ({"q": "x", "interpret": "perhaps"}, "interpret must be true or false"),
    ],
)
def test_bad_parameters_name_themselves(params, message):
    with pytest.raises(QueryError, match=message):
        SearchRequest.from_params(params)


def test_short_queries_lean_on_keywords_and_sentences_on_meaning():
    assert (
        SearchRequest("NTLA-2002 PRIME").keyword_weight
        > SearchRequest(
            "a one-time CRISPR treatment reduced swelling attacks in hereditary angioedema patients"
        ).keyword_weight
    )
    assert SearchRequest("NTLA-2002 PRIME", alpha=0.2).keyword_weight == 0.2
