"""Hostile requests, generated: no route answers with a server error or an unbounded response.

Hypothesis draws query strings from the parameters the server knows (and some it does not),
with values of any characters (control characters, NUL, non-ASCII digits, long repeats), and
sends them to every page, API, feed and export route of the bundled index through Flask's test
client. The budget is fixed (``EXAMPLES`` per route, no shrinking past it), so CI time stays
bounded; a failure prints the request that broke.
"""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.facets import FILTER_FACETS

EXAMPLES = 60
MAX_RESPONSE_BYTES = 5_000_000
ROUTES = ("/", "/api/search", "/feed", "/export.csv", "/export.jsonl")
DOCUMENT_ROUTES = ("/documents/", "/api/documents/", "/programmes/", "/api/programmes/")
KNOWN = (
    "q",
    "mode",
    "sort",
    "k",
    "page",
    "fusion",
    "alpha",
    "rrf_k",
    "aliases",
    "interpret",
    "date_from",
    "date_to",
    "chunk",
    *FILTER_FACETS,
)
STRANGE = ("endpoint", "_method", "_external", "_anchor", "_scheme", "q[]", "")

values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "²", "1e309", "nan", "10000", "2024-02-30", "hybrid", "approval", "FDA"]),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=8),  # control characters
)
parameters = st.lists(st.tuples(st.sampled_from(KNOWN + STRANGE) | st.text(max_size=12), values), max_size=8)


def query_string(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


def assert_bounded(response, url: str) -> None:
    assert response.status_code < 500, (url, response.status_code, response.get_data(as_text=True)[:300])
    assert len(response.get_data()) <= MAX_RESPONSE_BYTES, url


@pytest.fixture(scope="module")
def fuzz_client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def known_names(fuzz_client) -> list[str]:
    """Ids of indexed documents and names of indexed drugs: a route that finds its document or
    drug reads its other parameters too (``chunk``, ``q``)."""
    hits = fuzz_client.get("/api/search?q=cancer&k=20").get_json()["hits"]
    return [hit["doc_id"] for hit in hits] + ["pembrolizumab", "IMC001", "ICP-723"]


@pytest.mark.parametrize("route", ROUTES)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=parameters)
def test_search_routes_never_fail_on_any_parameters(fuzz_client, route, pairs):
    url = f"{route}?{query_string(pairs)}"
    assert_bounded(fuzz_client.get(url, headers={"Host": "evil.example"}), url)


@pytest.mark.parametrize("route", DOCUMENT_ROUTES)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_document_and_programme_routes_never_fail_on_any_name(fuzz_client, known_names, route, data):
    name = data.draw(st.sampled_from(known_names) | st.text(min_size=1, max_size=40))
    url = f"{route}{quote(name, safe='')}?{query_string(data.draw(parameters))}"
    assert_bounded(fuzz_client.get(url), url)
