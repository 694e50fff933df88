"""The JSON API and the search page, through Flask's test client on the real index."""

import pytest
from bs4 import BeautifulSoup
from conftest import write

from indexer.build import reindex
from web.app import create_app
from web.rendering import excerpt

HIT_FIELDS = {
    "rank",
    "score",
    "keyword_rank",
    "keyword_score",
    "semantic_rank",
    "semantic_score",
    "doc_id",
    "title",
    "date",
    "company",
    "source",
    "url",
    "passage",
    "more_passages",
}


def page_doc_ids(client, url):
    soup = BeautifulSoup(client.get(url).data, "html.parser")
    return [item["data-doc-id"] for item in soup.select("li.hit")]


def test_api_search_answers_with_ranked_hits_and_their_parts(client):
    answer = client.get("/api/search?q=EpCAM+CAR-T+gastric&k=5").get_json()
    assert answer["query"] == "EpCAM CAR-T gastric" and answer["mode"] == "hybrid"
    assert answer["timing"]["total_ms"] > 0
    assert [hit["rank"] for hit in answer["hits"]] == [1, 2, 3, 4, 5]
    assert HIT_FIELDS <= set(answer["hits"][0])
    assert answer["hits"][0]["metadata"]["programme"] == "IMC001"
    assert answer["hits"][0]["passage"]["text"]


@pytest.mark.parametrize("query", ["EpCAM CAR-T gastric", "NTRK fusion approval China", "ICP-723"])
def test_the_page_lists_what_the_api_returns(client, query):
    api_ids = [hit["doc_id"] for hit in client.get("/api/search", query_string={"q": query}).get_json()["hits"]]
    assert page_doc_ids(client, f"/?q={query}") == api_ids


def test_the_page_shows_title_date_source_link_and_highlights(client):
    response = client.get("/?q=ICP-723")
    assert response.status_code == 200
    first = BeautifulSoup(response.data, "html.parser").select_one("li.hit")
    assert "zoleretinib" in first.select_one("h2.title").get_text()
    assert first.select_one("time")["datetime"] == "2025-12-11"
    assert first.select_one(".source").get_text()
    assert first.select_one("a.source-link")["href"].startswith("http")
    assert "ICP-723" in [mark.get_text() for mark in first.select("mark")]


def test_the_page_keeps_the_query_and_mode_in_its_url_and_form(client):
    soup = BeautifulSoup(client.get("/?q=ICP-723&mode=keyword").data, "html.parser")
    assert soup.select_one("input[name=q]")["value"] == "ICP-723"
    assert soup.select_one("input[name=mode][value=keyword]").has_attr("checked")


def test_a_script_in_the_query_is_shown_as_text(client):
    response = client.get("/?q=<script>alert(1)</script>")
    assert b"<script>alert(1)</script>" not in response.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.data


@pytest.mark.parametrize(
    "query_string",
    ["q=", "k=5", "q=x&k=0", "q=x&k=101", "q=x&k=ten", "q=x&mode=fuzzy", "q=" + "x" * 2001],
)
def test_bad_parameters_are_a_400_in_the_one_error_shape(client, query_string):
    response = client.get(f"/api/search?{query_string}")
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"error", "status"} and body["status"] == 400 and body["error"]


def test_a_bad_parameter_on_the_page_is_shown_not_thrown(client):
    response = client.get("/?q=x&k=0")
    assert response.status_code == 400
    assert "k must be between" in BeautifulSoup(response.data, "html.parser").select_one(".error").get_text()


def test_unknown_api_paths_are_a_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_health_reports_the_index(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["documents"] >= 30 and body["chunks"] >= body["documents"]


def test_api_filters_by_date_and_source(client):
    answer = client.get(
        "/api/search?q=approval&k=20&date_from=2024-01-01&date_to=2024-12-31"
        "&source=Intellia+Therapeutics+via+GlobeNewswire&source=Valneva+via+GlobeNewswire"
    ).get_json()
    assert answer["hits"]
    assert all("2024-01-01" <= hit["date"] <= "2024-12-31" for hit in answer["hits"])
    assert {hit["source"] for hit in answer["hits"]} <= {
        "Intellia Therapeutics via GlobeNewswire",
        "Valneva via GlobeNewswire",
    }


@pytest.mark.parametrize(
    "query_string", ["q=x&date_from=yesterday", "q=x&alpha=2", "q=x&fusion=max", "q=x&aliases=perhaps"]
)
def test_bad_option_parameters_are_a_400(client, query_string):
    response = client.get(f"/api/search?{query_string}")
    assert response.status_code == 400 and response.get_json()["status"] == 400


def test_the_page_says_what_aliases_added_and_links_to_a_search_without_them(client):
    soup = BeautifulSoup(client.get("/?q=EpCAM+CAR-T&mode=keyword").data, "html.parser")
    also = soup.select_one(".also")
    assert "CD326" in also.get_text()
    link = also.select_one("a")["href"]
    assert "aliases=0" in link and "mode=keyword" in link
    without = BeautifulSoup(client.get(link).data, "html.parser")
    assert "Aliases are off" in without.select_one(".also").get_text()


def test_a_query_without_a_good_match_gets_a_helpful_empty_page(client):
    soup = BeautifulSoup(client.get("/?q=qwxzv+plokijuh").data, "html.parser")
    assert soup.select("li.hit") == []
    assert "Try fewer or broader words" in soup.select_one(".empty").get_text()


def test_browsing_by_filters_without_a_query_lists_the_newest_first(client):
    soup = BeautifulSoup(client.get("/?event=approval&regulator=NMPA").data, "html.parser")
    dates = [time["datetime"] for time in soup.select("li.hit time")]
    assert len(dates) >= 2 and dates == sorted(dates, reverse=True)
    api = client.get("/api/search?event=approval&regulator=NMPA").get_json()
    assert api["query"] == "" and api["total"] >= len(dates)
    assert page_doc_ids(client, "/?event=approval&regulator=NMPA") == [hit["doc_id"] for hit in api["hits"]]
    assert all(
        hit["entities"]["event"] == "approval" and "NMPA" in hit["entities"]["regulators"] for hit in api["hits"]
    )
    assert "matching the filters" in soup.select_one(".summary").get_text()
    checked = [link.select_one(".value").get_text() for link in soup.select("aside.facets a") if "☑" in link.get_text()]
    assert (
        checked == ["Approval", "NMPA"] == [link.select_one(".value").get_text() for link in soup.select("a.selected")]
    )


def test_the_empty_start_page_offers_browsing_and_its_links_list_announcements(client):
    for url in ("/", "/?q=", "/?q=&event=&regulator="):
        response = client.get(url)
        soup = BeautifulSoup(response.data, "html.parser")
        assert response.status_code == 200 and soup.select("li.hit") == [], url
    assert {select["name"] for select in soup.select("form.browse select")} == {"event", "regulator", "date_from"}
    link = soup.select_one(".browse-links a")["href"]
    assert "q=" not in link
    assert BeautifulSoup(client.get(link).data, "html.parser").select("li.hit")


def test_a_notice_from_the_searcher_is_shown_above_the_results(client):
    notice = client.get("/api/search?q=xyzzyqq").get_json()["notice"]
    assert notice
    soup = BeautifulSoup(client.get("/?q=xyzzyqq").data, "html.parser")
    assert soup.select_one("section.results .notice").get_text(strip=True) == notice


def test_a_suggested_spelling_is_offered_as_a_link_to_the_same_view(client):
    assert client.get("/api/search?q=tafamdis").get_json()["suggestion"] == "tafamidis"
    soup = BeautifulSoup(client.get("/?q=tafamdis&mode=keyword").data, "html.parser")
    link = soup.select_one(".suggestion a")
    assert "Did you mean" in soup.select_one(".suggestion").get_text() and link.get_text() == "tafamidis"
    assert "q=tafamidis" in link["href"] and "mode=keyword" in link["href"]
    assert BeautifulSoup(client.get(link["href"]).data, "html.parser").select("li.hit")


def test_a_plain_answer_has_neither_notice_nor_suggestion(client):
    soup = BeautifulSoup(client.get("/?q=ICP-723").data, "html.parser")
    assert soup.select(".notice") == [] and soup.select(".suggestion") == []


def test_a_passage_shows_its_matching_sentences_and_keeps_the_rest_behind_an_expander(client):
    hits = BeautifulSoup(client.get("/?q=ICP-723").data, "html.parser").select("li.hit")
    boxes = [hit.select_one(".passage-box") for hit in hits if hit.select_one(".passage-box")]
    assert boxes
    for box in boxes:
        short, whole = box.select_one(".excerpt"), box.select_one("details.whole .passage")
        assert short.select("mark") and len(short.get_text()) < len(whole.get_text())
        for piece in short.get_text().split("…"):
            assert " ".join(piece.split()) in " ".join(whole.get_text().split())


TWO_MATCHING = "… Then <mark>ICP-723</mark> was dosed. Results: <mark>ICP-723</mark> worked. …"


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([[27, 34]], "… Then <mark>ICP-723</mark> was dosed. …"),
        ([[27, 34], [55, 62]], TWO_MATCHING),
        ([[27, 34], [55, 62], [75, 77]], TWO_MATCHING),
        ([], "The U.S. trial began. …"),
    ],
)
def test_an_excerpt_keeps_the_first_two_sentences_with_highlights(spans, expected):
    text = "The U.S. trial began. Then ICP-723 was dosed. Results: ICP-723 worked. Dr. Li spoke."
    assert str(excerpt(text, spans)) == expected


def test_an_excerpt_of_a_passage_whose_every_sentence_matches_is_none():
    assert excerpt("ICP-723 began. ICP-723 ended.", [[0, 7], [15, 22]]) is None


def test_a_document_whose_id_is_a_url_has_its_page(tmp_path):
    """CSV rows without an id column are named by their URL, slashes and all."""
    url = "https://example.org/news/2024/05/01/trial-starts"
    write(tmp_path / "corpus", "rows.csv", f"title,text,url\nTrial starts,A phase 1 trial of IMC001 began.,{url}\n")
    reindex(tmp_path / "corpus", tmp_path / "index", show_progress=False)
    client = create_app({"INDEX": str(tmp_path / "index"), "TESTING": True}).test_client()
    assert client.get(f"/api/documents/{url}").get_json()["doc_id"] == url
    assert client.get(f"/documents/{url}").status_code == 200
