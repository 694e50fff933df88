"""Requests and documents a reliability or security reviewer would try: each is answered with a
clear 400 (or a safe page), never a server error, an unbounded page or a live script link."""

import csv
import io
import json
import re
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from flask import render_template

from indexer.build import reindex
from search.links import web_link as linkable  # the pages' `linkable` filter
from search.pipeline import MAX_PROGRAMME_NAME
from search.request import (
    MAX_FACET_VALUE_LENGTH,
    MAX_FACET_VALUES,
    MAX_FILTER_VALUES,
    MAX_QUERY_LENGTH,
    SEARCH_PARAMETERS,
)
from web import exports
from web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
SEARCH_ROUTES = ("/", "/api/search", "/feed", "/export.csv", "/export.jsonl")
DOCUMENT = "2025-03-21-immunofoco-imc001-second-ind"
SCRIPT_URL = "javascript:alert(document.domain)"


def links_of(html: bytes) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [tag["href"] for tag in soup.select("[href]")]


def assert_a_400_saying(response, message: str) -> None:
    assert response.status_code == 400
    if response.mimetype == "application/json":
        text = response.get_json()["error"]
    else:
        text = BeautifulSoup(response.data, "html.parser").select_one(".error").get_text()
    assert message in text, text


# Row 1: control characters in a feed.


@pytest.mark.parametrize("character", ["%00", "%01", "%1B"])
def test_a_feed_of_a_query_holding_a_control_character_is_well_formed(client, character):
    response = client.get(f"/feed?q=gene{character}therapy")
    assert response.status_code == 200
    assert ElementTree.fromstring(response.data).find(f"{ATOM}entry") is not None


def test_a_feed_entry_with_control_characters_or_a_script_link_is_well_formed_and_links_no_script():
    hit = {"doc_id": "bell\x07id", "url": SCRIPT_URL, "title": "A\x1b title", "date": "2025-01-02", "source": ""}
    hit |= {"passage": {"text": "NUL\x00 in the passage"}}
    feed = ElementTree.fromstring(exports.atom_feed({"query": "x", "hits": [hit]}, "http://h/feed", "http://h/"))
    entry = feed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "A title"
    assert entry.find(f"{ATOM}link").get("href") == "http://h/"
    assert entry.find(f"{ATOM}id").text == "http://h/#bell%07id"


# Row 2: links are built from known parameters only.


def test_links_on_the_page_carry_no_unknown_parameter_nor_a_forged_host(client):
    strange = "&endpoint=x&_method=POST&_external=1&_anchor=a&junk=1"
    response = client.get(f"/?q=cancer&regulator=FDA&regulator=EMA{strange}", headers={"Host": "evil.example"})
    assert response.status_code == 200
    links = [link for link in links_of(response.data) if "?" in link and link.split("?")[0] in SEARCH_ROUTES]
    assert links and all("evil.example" not in link for link in links_of(response.data))
    for link in links:
        names = {pair.split("=")[0] for pair in link.split("?", 1)[1].split("&")}
        assert names <= set(SEARCH_PARAMETERS), link
    feed_link = BeautifulSoup(response.data, "html.parser").select_one("link[type='application/atom+xml']")["href"]
    assert {"regulator=FDA", "regulator=EMA", "q=cancer"} <= set(feed_link.split("?")[1].split("&"))


def test_the_feed_links_back_to_the_page_with_known_parameters_only(client):
    feed = ElementTree.fromstring(client.get("/feed?q=cancer&_external=1&endpoint=x").data)
    alternate = next(link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "alternate")
    assert alternate == "http://localhost/?q=cancer"


def test_with_trusted_hosts_set_a_forged_host_is_a_json_400(index_dir):
    client = create_app({"INDEX": str(index_dir), "TESTING": True, "TRUSTED_HOSTS": ["localhost"]}).test_client()
    assert client.get("/feed?q=cancer").status_code == 200
    response = client.get("/feed?q=cancer", headers={"Host": "evil.example"})
    assert response.status_code == 400 and set(response.get_json()) == {"error", "status"}


def test_the_api_documents_exactly_the_parameters_a_search_reads(client):
    spec = client.get("/openapi.json").get_json()
    for path in ("/api/search", "/feed", "/export.csv", "/export.jsonl"):
        assert {parameter["name"] for parameter in spec["paths"][path]["get"]["parameters"]} == set(SEARCH_PARAMETERS)


# Row 3: bounded facet selections.


def facet_query(count: int, length: int = 5, facet: str = "company") -> str:
    return "&".join(f"{facet}={quote(f'c{number:04d}'.ljust(length, 'x'))}" for number in range(count))


@pytest.mark.parametrize("route", SEARCH_ROUTES)
@pytest.mark.parametrize(
    ("query_string", "message"),
    [
        (facet_query(2000), f"choose at most {MAX_FACET_VALUES} per filter"),
        (facet_query(MAX_FACET_VALUES + 1), f"choose at most {MAX_FACET_VALUES} per filter"),
        (facet_query(1, MAX_FACET_VALUE_LENGTH + 1), f"the limit is {MAX_FACET_VALUE_LENGTH}"),
        (
            facet_query(MAX_FACET_VALUES) + "&" + facet_query(MAX_FACET_VALUES, facet="source") + "&target=HER2",
            f"the limit is {MAX_FILTER_VALUES} in all",
        ),
    ],
    ids=["2000 companies", "one too many", "one too long", "too many in all"],
)
def test_too_many_or_too_long_facet_values_are_a_400_on_every_route(client, route, query_string, message):
    assert_a_400_saying(client.get(f"{route}?q=cancer&{query_string}"), message)


def test_facet_selections_at_the_limits_are_searched(client):
    at_limits = (
        facet_query(MAX_FACET_VALUES, MAX_FACET_VALUE_LENGTH) + "&" + facet_query(MAX_FACET_VALUES, facet="source")
    )
    response = client.get(f"/api/search?q=cancer&{at_limits}")
    assert response.status_code == 200 and response.get_json()["total"] == 0  # no such companies
    assert client.get(f"/?q=cancer&{at_limits}").status_code == 200


# Row 4: a passage number that only looks like one.


@pytest.mark.parametrize("route", ["/api/documents/", "/documents/"])
@pytest.mark.parametrize("chunk", ["²", "x", "-1", "1.5"])
def test_a_chunk_that_is_not_a_whole_number_is_a_400(client, route, chunk):
    assert_a_400_saying(client.get(f"{route}{DOCUMENT}", query_string={"chunk": chunk}), "chunk must be a whole number")


def test_a_real_chunk_is_marked(client):
    chunk = client.get(f"/api/documents/{DOCUMENT}").get_json()["chunks"][1]["chunk_id"]
    assert client.get(f"/api/documents/{DOCUMENT}?chunk={chunk}").get_json()["matched_chunk"] == chunk


# Row 5: only web addresses are linked.


@pytest.mark.parametrize(
    "url",
    [
        SCRIPT_URL,
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/documents/x",
        "https:alert(1)",
        "https://example.org/a\nb",
        "",
        None,
    ],
)
def test_a_url_that_is_not_a_web_address_is_not_linkable(url):
    assert linkable(url) is None


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://example.org/news/1", "https://example.org/news/1"),
        ("HTTP://EXAMPLE.ORG/a?b=c", "HTTP://EXAMPLE.ORG/a?b=c"),
        (" https://example.org/x ", "https://example.org/x"),
    ],
)
def test_a_web_address_is_linkable(url, link):
    assert linkable(url) == link


def test_the_document_page_never_links_a_script_url_it_is_given(app, client):
    document = client.get(f"/api/documents/{DOCUMENT}").get_json() | {"url": SCRIPT_URL}
    with app.test_request_context(f"/documents/{DOCUMENT}"):
        html = render_template("document.html", document=document, query="", event_labels={})
    assert DOCUMENT in html and "javascript:" not in html.lower()
    assert not BeautifulSoup(html, "html.parser").select("a.source-link")


@pytest.fixture(scope="module")
def scripted_client(tmp_path_factory):
    """An app over two announcements, one of whose links is a script."""
    corpus = tmp_path_factory.mktemp("scripted") / "corpus.jsonl"
    records = [
        {"_id": "script", "title": "Zanubrutinib approved", "url": SCRIPT_URL, "date": "2025-01-02"},
        {"_id": "web", "title": "Zanubrutinib readout", "url": "https://example.org/readout", "date": "2025-01-03"},
    ]
    text = "The FDA approved zanubrutinib for mantle cell lymphoma after a Phase 3 trial."
    corpus.write_text("\n".join(json.dumps(record | {"text": text}) for record in records), encoding="utf-8")
    index = tmp_path_factory.mktemp("scripted-index")
    reindex(corpus, index, show_progress=False)
    return create_app({"INDEX": str(index), "TESTING": True}).test_client()


@pytest.mark.parametrize("path", ["/?q=zanubrutinib", "/documents/script"])
def test_a_document_with_a_script_url_is_shown_without_its_link(scripted_client, path):
    response = scripted_client.get(path)
    assert response.status_code == 200
    assert not [link for link in links_of(response.data) if not link.startswith(("/", "http"))]
    assert "javascript:" not in response.data.decode().lower()


def test_the_web_address_of_a_document_is_still_linked(scripted_client):
    soup = BeautifulSoup(scripted_client.get("/?q=zanubrutinib").data, "html.parser")
    assert [link["href"] for link in soup.select("a.source-link")] == ["https://example.org/readout"]


# Row 6: formula cells in the CSV export.


@pytest.mark.parametrize("column", ["title", "company", "source", "passage", "drugs"])
@pytest.mark.parametrize(("value", "cell"), [("\t=1+1", "'\t=1+1"), ("\x00=1+1", "'=1+1"), ("\x00\x00@A1", "'@A1")])
def test_every_text_column_of_the_csv_is_protected_against_formulas(column, value, cell):
    hit = {"rank": 1, "date": "", "title": "t", "company": "", "source": "", "url": "", "doc_id": "d", "score": 0.5}
    hit |= {"entities": {}, "passage": {"text": "p"}}
    if column == "passage":
        hit["passage"] = {"text": value}
    elif column == "drugs":
        hit["entities"] = {"drug_codes": [value]}
    else:
        hit[column] = value
    rows = list(csv.DictReader(io.StringIO("".join(exports.csv_lines([hit])))))
    assert rows[0][column] == cell


# Row 13: the document routes' query, 405s, and a spec that says what the server accepts.


@pytest.mark.parametrize("route", ["/api/documents/", "/documents/"])
def test_a_document_highlight_query_is_bounded_like_a_search(client, route):
    assert client.get(f"{route}{DOCUMENT}", query_string={"q": "x" * MAX_QUERY_LENGTH}).status_code == 200
    too_long = client.get(f"{route}{DOCUMENT}", query_string={"q": "x" * 100_000})
    assert_a_400_saying(too_long, f"the limit is {MAX_QUERY_LENGTH}")


@pytest.mark.parametrize("path", ["/api/search?q=x", "/?q=x", "/openapi.json"])
def test_a_wrong_method_is_a_405_naming_the_allowed_ones(client, path):
    response = client.post(path)
    assert response.status_code == 405
    assert {"GET", "HEAD"} <= {method.strip() for method in response.headers["Allow"].split(",")}


def spec_parameter(spec: dict, path: str, name: str) -> dict:
    return next(parameter for parameter in spec["paths"][path]["get"]["parameters"] if parameter["name"] == name)


def test_the_spec_states_the_limits_the_server_enforces(client):
    spec = client.get("/openapi.json").get_json()
    query = spec_parameter(spec, "/api/search", "q")["schema"]
    assert client.get("/api/search", query_string={"q": "x" * query["maxLength"]}).status_code == 200
    assert client.get("/api/search", query_string={"q": "x" * (query["maxLength"] + 1)}).status_code == 400
    assert query["minLength"] == 1 and not re.search(query["pattern"], "   ")
    assert client.get("/api/search", query_string={"q": "   "}).status_code == 400

    company = spec_parameter(spec, "/api/search", "company")["schema"]
    longest = "x" * company["items"]["maxLength"]
    most = [("q", "cancer"), *[("company", f"{number:02d}{longest[2:]}") for number in range(company["maxItems"])]]
    assert client.get("/api/search", query_string=most).status_code == 200
    assert client.get("/api/search", query_string=[*most, ("company", "one more")]).status_code == 400

    highlight = spec_parameter(spec, "/api/documents/{doc_id}", "q")["schema"]
    too_long = {"q": "x" * (highlight["maxLength"] + 1)}
    assert client.get(f"/api/documents/{DOCUMENT}", query_string=too_long).status_code == 400

    name = spec_parameter(spec, "/api/programmes/{name}", "name")["schema"]
    assert name["maxLength"] == MAX_PROGRAMME_NAME and not re.search(name["pattern"], " ")
    assert client.get("/api/programmes/%20").status_code == 400
    assert client.get(f"/api/programmes/{'x' * (name['maxLength'] + 1)}").status_code == 400


def test_a_repeated_parameter_is_not_copied_into_every_link(client):
    response = client.get("/?q=cancer" + "&mode=hybrid" * 2000 + "&event=%20" * 100)
    assert response.status_code == 200
    assert len(response.get_data()) < 1_000_000
    assert "mode=hybrid&amp;mode=hybrid" not in response.get_data(as_text=True)
