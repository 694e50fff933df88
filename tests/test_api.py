"""The API beyond /api/search's basics: facets, paging, sorting, documents, programmes, feed,
CSV and the OpenAPI description — each checked against the others and the real index."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ElementTree

import pytest
from bs4 import BeautifulSoup

from indexer.build import reindex
from search.facets import FILTER_FACETS
from search.pipeline import MAX_PROGRAMME_NAME
from web import exports
from web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


def test_facet_counts_are_true_to_the_result_set(client):
    answer = client.get("/api/search?q=orphan designation&k=100").get_json()
    assert answer["total"] == len(answer["hits"])
    events = {item["value"]: item["count"] for item in answer["facets"]["event"]["values"]}
    assert events["designation"] == sum(hit["entities"]["event"] == "designation" for hit in answer["hits"])


def test_a_facet_filter_keeps_only_its_value_and_its_count_is_the_total(client):
    answer = client.get("/api/search?q=orphan drug designation pancreatic cancer&event=designation&k=100").get_json()
    assert answer["hits"] and all(hit["entities"]["event"] == "designation" for hit in answer["hits"])
    selected = [item for item in answer["facets"]["event"]["values"] if item["selected"]]
    assert selected == [{"value": "designation", "label": "Designation", "count": answer["total"], "selected": True}]


def test_values_of_one_facet_are_alternatives_and_facets_combine(client):
    one = client.get("/api/search?q=approval&regulator=FDA&k=100").get_json()
    either = client.get("/api/search?q=approval&regulator=FDA&regulator=EMA&k=100").get_json()
    both = client.get("/api/search?q=approval&regulator=FDA&event=approval&k=100").get_json()
    assert one["total"] < either["total"]
    assert both["total"] <= one["total"]
    assert all("FDA" in hit["entities"]["regulators"] for hit in one["hits"])


def test_pages_follow_on_without_repeats(client):
    first = client.get("/api/search?q=gene therapy&k=5").get_json()
    second = client.get("/api/search?q=gene therapy&k=5&page=2").get_json()
    assert second["hits"][0]["rank"] == 6
    assert not {hit["doc_id"] for hit in first["hits"]} & {hit["doc_id"] for hit in second["hits"]}
    assert second["total"] == first["total"]
    beyond = client.get("/api/search?q=gene therapy&k=100&page=10").get_json()
    assert beyond["hits"] == [] and beyond["total"] >= first["total"]  # deeper pages retrieve deeper


def test_sort_by_date_puts_the_newest_first(client):
    hits = client.get("/api/search?q=CAR-T&sort=date&k=20").get_json()["hits"]
    dates = [hit["date"] for hit in hits]
    assert dates == sorted(dates, reverse=True)


def test_retellings_fold_into_one_hit_that_lists_them(client):
    hits = client.get("/api/search?q=IMC001 second IND China&k=20").get_json()["hits"]
    ids = [hit["doc_id"] for hit in hits]
    assert "2025-03-21-immunofoco-imc001-second-ind" in ids
    assert "2025-03-21-immunofoco-imc001-second-ind-de" not in ids
    hit = hits[ids.index("2025-03-21-immunofoco-imc001-second-ind")]
    assert "2025-03-21-immunofoco-imc001-second-ind-de" in {version["doc_id"] for version in hit["other_versions"]}


def test_query_understanding_is_reported_and_can_be_switched_off(client):
    answer = client.get("/api/search?q=EpCAM CAR-T gastric").get_json()
    assert {(item["kind"], item["value"]) for item in answer["interpretation"]} >= {
        ("target", "EpCAM"),
        ("modality", "CAR-T"),
        ("indication", "gastric cancer"),
    }
    assert answer["hits"][0]["boost"] > 1
    plain = client.get("/api/search?q=EpCAM CAR-T gastric&interpret=0").get_json()
    assert plain["interpretation"] == [] and all(hit["boost"] == 1 for hit in plain["hits"])


def test_a_document_has_its_body_entities_versions_and_programme(client):
    document = client.get("/api/documents/2025-03-21-immunofoco-imc001-second-ind?q=EpCAM").get_json()
    assert document["entities"]["drug_codes"] == ["IMC001"] and document["highlights"]
    assert "2025-03-21-immunofoco-imc001-second-ind-de" in {v["doc_id"] for v in document["other_versions"]}
    dates = [item["date"] for item in document["programmes"][0]["announcements"]]
    assert len(dates) >= 3 and dates == sorted(dates)


@pytest.mark.parametrize(("path", "status"), [("/api/documents/no-such-id", 404), ("/api/documents/x?chunk=a", 400)])
def test_document_errors_are_json(client, path, status):
    response = client.get(path)
    assert response.status_code == status and response.get_json()["status"] == status


TOO_LONG_NAME = "x" * (MAX_PROGRAMME_NAME + 1)


@pytest.mark.parametrize(
    ("path", "message"),
    [("/documents/x?chunk=a", "chunk must be a whole number"), (f"/programmes/{TOO_LONG_NAME}", "give a drug code")],
)
def test_a_bad_parameter_on_a_browser_page_is_an_error_page(client, path, message):
    response = client.get(path)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert message in BeautifulSoup(response.data, "html.parser").select_one(".error").get_text()


def test_a_bad_programme_name_is_a_json_400(client):
    response = client.get(f"/api/programmes/{TOO_LONG_NAME}")
    assert response.status_code == 400 and set(response.get_json()) == {"error", "status"}


def test_a_drug_no_announcement_names_is_a_404_that_says_what_to_try(client):
    response = client.get("/api/programmes/NOPE-404")
    assert response.status_code == 404
    assert response.get_json()["error"].startswith("No announcement names NOPE-404; try its code or its name")
    page = client.get("/programmes/NOPE-404")
    assert page.status_code == 404 and "No announcement names NOPE-404" in page.get_data(as_text=True)


def test_a_programme_timeline_is_found_by_code_spelling_or_name(client):
    by_code = client.get("/api/programmes/NTLA-2002").get_json()["announcements"]
    assert len(by_code) >= 5
    assert [item["date"] for item in by_code] == sorted(item["date"] for item in by_code)
    assert client.get("/api/programmes/ntla2002").get_json()["announcements"] == by_code
    zoleretinib = client.get("/api/programmes/zoleretinib").get_json()["announcements"]
    assert zoleretinib == client.get("/api/programmes/ICP-723").get_json()["announcements"] != []


def test_the_feed_is_atom_newest_first_and_matches_the_search(client):
    response = client.get("/feed?q=gene therapy")
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)
    titles = [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]
    updated = [entry.find(f"{ATOM}updated").text for entry in feed.findall(f"{ATOM}entry")]
    assert updated == sorted(updated, reverse=True)
    by_date = client.get("/api/search?q=gene therapy&sort=date").get_json()["hits"]
    assert titles == [hit["title"] for hit in by_date]


def test_the_csv_export_lists_the_results_in_order_with_their_entities(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv?q=CRISPR&k=5").data.decode())))
    answer = client.get("/api/search?q=CRISPR&k=5").get_json()
    assert len(rows) == answer["total"]
    assert [row["doc_id"] for row in rows[:5]] == [hit["doc_id"] for hit in answer["hits"]]
    first = answer["hits"][0]
    assert rows[0]["event"] == first["entities"]["event"]
    assert rows[0]["targets"] == "; ".join(first["entities"].get("targets", []))
    assert set(first["entities"].get("drug_codes", [])) <= set(rows[0]["drugs"].split("; "))


def test_the_exports_hold_the_whole_result_list_not_one_page(client):
    total = client.get("/api/search?q=clinical trial results").get_json()["total"]
    assert total > 100
    response = client.get("/export.csv?q=clinical trial results")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert len(rows) == total and [int(row["rank"]) for row in rows] == list(range(1, total + 1))
    lines = client.get("/export.jsonl?q=clinical trial results").data.decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == total and [record["doc_id"] for record in records] == [row["doc_id"] for row in rows]
    assert list(records[0]) == list(rows[0]) and isinstance(records[0]["targets"], list)


def test_an_export_of_filters_alone_is_the_whole_list_newest_first(client):
    total = client.get("/api/search?event=approval").get_json()["total"]
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv?event=approval").data.decode())))
    records = [json.loads(line) for line in client.get("/export.jsonl?event=approval").data.decode().splitlines()]
    assert len(rows) == len(records) == total > 10
    assert all(row["event"] == "approval" for row in rows)
    assert [row["date"] for row in rows] == sorted((row["date"] for row in rows), reverse=True)


def test_the_page_links_to_the_exports_and_feed_of_the_same_search(client):
    query_string = "q=approval&regulator=FDA&regulator=EMA"
    total = client.get(f"/api/search?{query_string}").get_json()["total"]
    soup = BeautifulSoup(client.get(f"/?{query_string}").data, "html.parser")
    links = {link.get_text(): link["href"] for link in soup.select(".summary a")}
    assert {"regulator=FDA", "regulator=EMA"} <= set(links["CSV"].split("?")[1].split("&"))
    assert len(list(csv.DictReader(io.StringIO(client.get(links["CSV"]).data.decode())))) == total
    assert len(client.get(links["JSON Lines"]).data.decode().splitlines()) == total
    assert client.get(links["Atom feed"]).status_code == 200


def test_a_feed_of_filters_alone_is_newest_first(client):
    feed = ElementTree.fromstring(client.get("/feed?event=designation").data)
    titles = [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]
    hits = client.get("/api/search?event=designation").get_json()["hits"]
    assert titles == [hit["title"] for hit in hits] and len(titles) == 10
    assert "the chosen filters" in feed.find(f"{ATOM}title").text


def test_openapi_describes_every_route_and_parameter(client, app):
    spec = client.get("/openapi.json").get_json()
    routes = {re.sub(r"<(?:path:)?(\w+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()}
    assert set(spec["paths"]) <= routes
    assert {
        "/api/search",
        "/api/documents/{doc_id}",
        "/api/programmes/{name}",
        "/feed",
        "/export.csv",
        "/export.jsonl",
    } <= set(spec["paths"])
    names = {parameter["name"] for parameter in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert names >= {
        "q",
        "mode",
        "k",
        "page",
        "sort",
        "date_from",
        "date_to",
        "fusion",
        "alpha",
        "rrf_k",
        *FILTER_FACETS,
    }
    assert {"designation", "territory"} <= names
    query = next(
        parameter for parameter in spec["paths"]["/api/search"]["get"]["parameters"] if parameter["name"] == "q"
    )
    assert not query["required"]  # an empty query browses by filters
    results = spec["components"]["schemas"]["SearchResults"]["properties"]
    assert {"notice", "suggestion"} <= set(results) and set(results) >= set(client.get("/api/search?q=x").get_json())


@pytest.mark.parametrize(
    "query_string",
    [
        "q=x&page=0",
        "q=x&sort=oldest",
        "q=x&page=abc",
        "q=x&interpret=maybe",
        "q=x&date_to=2024-02-30",
        "q=" + "a" * 2001,
        "q=",
    ],
)
def test_every_bad_parameter_is_a_400_on_every_endpoint(client, query_string):
    paths = ["/api/search", "/export.csv", "/export.jsonl"]
    if "page" not in query_string and "sort" not in query_string:
        paths.append("/feed")  # the feed is always page 1, newest first: it ignores page and sort
    for path in paths:
        response = client.get(f"{path}?{query_string}")
        assert response.status_code == 400, path
        assert set(response.get_json()) == {"error", "status"}


def test_the_page_has_facets_chips_and_a_why_toggle(client):
    soup = BeautifulSoup(client.get("/?q=EpCAM CAR-T gastric").data, "html.parser")
    assert soup.select("aside.facets section[data-facet=event] li")
    first = soup.select_one("li.hit")
    assert {chip.get_text(strip=True) for chip in first.select("ul.chips .chip")} >= {"IMC001", "EpCAM", "CAR-T"}
    assert first.select_one("details.why dl.scores")
    assert soup.select_one("link[type='application/atom+xml']")["href"].startswith("/feed?")


def test_a_facet_link_on_the_page_applies_the_filter(client):
    soup = BeautifulSoup(client.get("/?q=orphan designation").data, "html.parser")
    link = soup.select_one("section[data-facet=regulator] li a")
    filtered = BeautifulSoup(client.get(link["href"]).data, "html.parser")
    assert filtered.select_one("section[data-facet=regulator] a.selected")
    assert filtered.select("li.hit")


def test_a_document_with_markup_in_it_is_shown_as_text(client):
    response = client.get("/documents/%3Cscript%3Ealert(1)%3C%5Cscript%3E")
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.data.decode() and "&lt;script&gt;alert(1)" in response.data.decode()


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    """An app over two announcements whose header fields hold spreadsheet formulas and control
    characters, as a scraped or hostile source might."""
    corpus = tmp_path_factory.mktemp("hostile") / "corpus.jsonl"
    records = [
        {
            "_id": "formula",
            "title": '\x00=HYPERLINK("http://example.com","zanubrutinib")',
            "company": "@Evil Corp",
            "source": "+Wire",
            "date": "2025-01-02",
            "text": "The FDA approved zanubrutinib for mantle cell lymphoma after a Phase 3 trial.",
        },
        {
            "_id": "bell",
            "title": "-1+1 zanubrutinib readout\x07 in \x1bfull",
            "date": "2025-01-03",
            "text": "Zanubrutinib met its primary endpoint in a Phase 3 trial in mantle cell lymphoma.",
        },
    ]
    corpus.write_text("\n".join(json.dumps(record) for record in records), encoding="utf-8")
    index = tmp_path_factory.mktemp("hostile-index")
    reindex(corpus, index, show_progress=False)
    return create_app({"INDEX": str(index), "TESTING": True}).test_client()


def test_exported_cells_never_run_as_formulas_nor_carry_control_characters(hostile_client):
    text = hostile_client.get("/export.csv?q=zanubrutinib").data.decode()
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    rows = {row["doc_id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["formula"]["title"] == '\'=HYPERLINK("http://example.com","zanubrutinib")'
    assert rows["formula"]["company"] == "'@Evil Corp" and rows["formula"]["source"] == "'+Wire"
    assert rows["bell"]["title"] == "'-1+1 zanubrutinib readout in full"


def test_a_feed_of_titles_with_control_characters_is_well_formed(hostile_client):
    response = hostile_client.get("/feed?q=zanubrutinib")
    assert response.status_code == 200
    entries = ElementTree.fromstring(response.data).findall(f"{ATOM}entry")
    assert {entry.find(f"{ATOM}title").text for entry in entries} == {
        '=HYPERLINK("http://example.com","zanubrutinib")',
        "-1+1 zanubrutinib readout in full",
    }


@pytest.mark.parametrize(
    ("title", "cell"),
    [("\t=1+1", "'\t=1+1"), ("\r=1+1", "'\r=1+1"), ("\x00@SUM(A1)", "'@SUM(A1)"), ("Plain -1 title", "Plain -1 title")],
)
def test_a_csv_cell_starting_a_formula_after_a_tab_or_return_is_quoted_too(title, cell):
    hit = {"rank": 1, "date": "", "title": title, "company": "", "source": "", "url": "", "doc_id": "d", "score": 0.5}
    hit |= {"entities": {}, "passage": {"text": "text"}}
    rows = list(csv.DictReader(io.StringIO("".join(exports.csv_lines([hit])))))
    assert rows[0]["title"] == cell and rows[0]["score"] == "0.5"
