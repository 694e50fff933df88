"""Acceptance on the real GlobeNewswire releases, given in the nested BEIR shape users hand us.

Each test pins one way the product failed an analyst on this corpus: metadata silently lost,
filler instead of an honest zero, keyword scores zeroed by an absent alias, counts that changed
while paging, no browsing by filter. Expected values come from the raw releases file, never
from the code under test.
"""

import csv
import io
import json
import re
from collections import Counter
from itertools import combinations
from xml.etree import ElementTree

import pytest
from conftest import ROOT

from search.errors import QueryError
from search.evaluation import load_dataset
from search.facets import VALUES_SHOWN
from search.filters import Filters
from search.request import SearchRequest
from search.stats import index_statistics
from web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
DUPLICATES = ROOT / "bench" / "judged" / "duplicates" / "groups.jsonl"
RELEASE_NUMBER = re.compile(r"/news-release/\d{4}/\d\d/\d\d/(\d+)/")
# The GlobeNewswire index these tests share takes minutes to build.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def releases(shared_dir) -> dict[str, dict]:
    """The raw releases by release number, the first row of each (as the corpus is written)."""
    rows = {}
    with (shared_dir / "data" / "globenewswire-biotech" / "releases.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.setdefault(RELEASE_NUMBER.search(row["link"]).group(1), row)
    return rows


def test_every_release_keeps_its_date_company_source_and_link(globenewswire, releases):
    hits = list(globenewswire.all_hits(globenewswire_browse(date_from="1900-01-01")))
    shown = [hit for hit in hits] + [version for hit in hits for version in hit["other_versions"]]
    assert sorted(version["doc_id"] for version in shown) == sorted(releases)  # reposts fold into one hit
    for version in shown:
        row = releases[version["doc_id"]]
        assert version["date"] == row["published_eastern"][:10]
        assert (version["company"], version["url"], version["source"]) == (row["ticker"], row["link"], "GlobeNewswire")


def globenewswire_browse(**filters) -> SearchRequest:
    return SearchRequest("", k=10, filters=Filters.of(**filters))


def test_a_date_filter_and_date_sort_hold_on_the_real_releases(globenewswire, releases):
    answer = globenewswire.search("phase 3", k=50, sort="date", filters=Filters.of(date_from="2024-01-01"))
    dates = [hit["date"] for hit in answer["hits"]]
    assert dates and all(date >= "2024-01-01" for date in dates)
    assert dates == sorted(dates, reverse=True)


def test_year_and_company_facets_count_the_real_metadata(globenewswire, releases):
    facets = globenewswire.search("vaccine", k=10)["facets"]
    assert facets["year"]["values"] and facets["company"]["values"]
    tickers = {row["ticker"] for row in releases.values()}
    assert {value["value"] for value in facets["company"]["values"]} <= tickers


def test_browsing_one_company_lists_each_of_its_releases_newest_first(globenewswire, releases):
    ticker, expected = Counter(row["ticker"] for row in releases.values()).most_common(1)[0]
    answer = globenewswire.search("", k=100, filters=Filters.of(company=(ticker,)))
    listed = list(globenewswire.all_hits(globenewswire_browse(company=(ticker,))))
    assert answer["total"] == len(listed) <= expected  # reposts of one release fold into one
    assert {hit["company"] for hit in listed} == {ticker}
    dates = [hit["date"] for hit in listed]
    assert dates == sorted(dates, reverse=True)


def test_an_empty_query_without_a_filter_is_refused(globenewswire):
    with pytest.raises(QueryError, match="empty"):
        globenewswire.search("")


@pytest.mark.parametrize("query", ["orphan drug designation", "vaccine", "BCMA"])
def test_totals_and_facet_counts_are_the_same_on_every_page_and_match_paging_to_the_end(globenewswire, query):
    answers = [globenewswire.search(query, k=k, page=page) for k, page in ((10, 1), (50, 1), (10, 2), (10, 4))]
    assert len({answer["total"] for answer in answers}) == 1
    assert len({repr(answer["facets"]) for answer in answers}) == 1
    total = answers[0]["total"]
    listed = []
    for page in range(1, 1000 // 100 + 1):
        listed += [hit["doc_id"] for hit in globenewswire.search(query, k=100, page=page)["hits"]]
    assert len(listed) == len(set(listed)) == min(total, 1000)
    events = answers[0]["facets"]["event"]["values"]  # every document has one event
    if len(events) < VALUES_SHOWN:
        assert sum(value["count"] for value in events) == total


@pytest.mark.parametrize("query", ["BCMA", "NTLA-2002"])
def test_an_alias_the_corpus_lacks_does_not_zero_the_keyword_scores(globenewswire, query):
    searcher = globenewswire
    with_aliases = searcher.search(query, k=5, mode="keyword")["hits"]
    without = searcher.search(query, k=5, mode="keyword", aliases=False)["hits"]
    assert without[0]["keyword_score"] > 1
    assert with_aliases[0]["keyword_score"] >= without[0]["keyword_score"]
    assert [hit["doc_id"] for hit in with_aliases] == [hit["doc_id"] for hit in without]


@pytest.mark.parametrize("query", ["xyzzyqq", "efgartigimod CIDP", "iptacopan PNH"])  # bench/judged/absent
def test_a_query_of_words_no_release_holds_gets_an_honest_zero(globenewswire, query):
    answer = globenewswire.search(query)
    assert answer["total"] == 0 and answer["hits"] == []
    assert answer["notice"].startswith("No document mentions") and query.split()[0] in answer["notice"]


def test_a_target_no_release_mentions_is_said_in_words(globenewswire, releases):
    assert not any("cldn18" in (row["title"] + row["summary"]).lower() for row in releases.values())
    answer = globenewswire.search("CLDN18.2 ADC")
    assert answer["notice"].startswith("No document mentions “CLDN18.2”")
    assert f"showing {answer['total']:,} related" in answer["notice"]


def test_a_target_one_release_mentions_is_not_buried_in_filler(globenewswire, releases):
    mentioning = {number for number, row in releases.items() if "trop2" in (row["title"] + row["summary"]).lower()}
    answer = globenewswire.search("TROP2", k=50)
    assert answer["hits"][0]["doc_id"] in mentioning
    t2 = [hit for hit in answer["hits"] if hit["company"] == "TTOO"]  # T2 Biosystems: shares only "T2"
    assert len(t2) <= 3, [hit["title"] for hit in t2]


def test_a_query_whose_words_are_all_present_carries_no_notice(globenewswire):
    assert globenewswire.search("orphan drug designation")["notice"] == ""


def test_reposts_and_translations_fold_into_one_hit(globenewswire, releases):
    """Pair precision and recall against the hand-checked groups of bench/judged/duplicates
    (0.862 and 0.789 when measured; none were found when the nested metadata was lost)."""
    truth = [json.loads(line)["ids"] for line in DUPLICATES.read_text().splitlines() if line.strip()]
    true_pairs = {pair for group in truth for pair in combinations(sorted(group), 2)}
    group_of = globenewswire.current().table.group_of
    members: dict[str, list[str]] = {}
    for doc_id, group in group_of.items():
        members.setdefault(group, []).append(doc_id)
    found = {pair for group in members.values() for pair in combinations(sorted(group), 2)}
    assert len(found & true_pairs) / len(found) >= 0.8
    assert len(found & true_pairs) / len(true_pairs) >= 0.75


def test_a_misspelt_drug_gets_its_spelling_from_the_releases(globenewswire, releases):
    assert any("pembrolizumab" in (row["title"] + row["summary"]).lower() for row in releases.values())
    answer = globenewswire.search("pembrolizumb")
    assert answer["suggestion"] == "pembrolizumab"
    assert "pembrolizumb" in answer["notice"]
    assert globenewswire.search("pembrolizumab")["suggestion"] is None


@pytest.fixture(scope="module")
def globenewswire_client(globenewswire_index):
    return create_app({"INDEX": str(globenewswire_index), "TESTING": True}).test_client()


def test_the_feed_carries_each_release_s_own_date_and_link(globenewswire_client, releases):
    feed = ElementTree.fromstring(globenewswire_client.get("/feed?q=phase+3+topline").data)
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    by_link = {row["link"]: row for row in releases.values()}
    for entry in entries:
        link = entry.find(f"{ATOM}link").get("href")
        assert entry.find(f"{ATOM}updated").text.startswith(by_link[link]["published_eastern"][:10])


def test_the_csv_export_holds_the_whole_result_list_with_its_metadata(globenewswire_client, releases):
    total = globenewswire_client.get("/api/search?q=orphan+drug+designation").get_json()["total"]
    rows = list(csv.DictReader(io.StringIO(globenewswire_client.get("/export.csv?q=orphan+drug+designation").text)))
    assert len(rows) == total > 100
    by_link = {row["link"]: row for row in releases.values()}
    assert all(row["date"] == by_link[row["url"]]["published_eastern"][:10] for row in rows)


JUDGED = ROOT / "bench" / "judged" / "globenewswire"
# Judged query categories that name what happened and where (issue 19's weakest shapes).
EVENT_CATEGORIES = (
    "event+region",
    "designation+indication",
    "deal-territory",
    "biosimilar-brand",
    "designation",
    "regulator event",
)


def test_understanding_what_a_query_asks_for_puts_more_judged_answers_in_the_top_ten(globenewswire):
    """The judgments are the independent assessors' (bench/judged/globenewswire), both splits."""
    queries = [json.loads(line) for line in (JUDGED / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    grades: dict[str, dict[str, int]] = {}
    for split in ("dev", "test"):
        with (JUDGED / "qrels" / f"{split}.tsv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                grades.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    answers = Counter()
    for query in queries:
        if query["metadata"]["category"] in EVENT_CATEGORIES:
            for interpret in (True, False):
                hits = globenewswire.search(query["text"], k=10, interpret=interpret)["hits"]
                answers[interpret] += sum(grades[query["_id"]].get(hit["doc_id"]) == 2 for hit in hits)
    assert answers[True] > answers[False], answers


def test_a_biosimilar_named_by_its_reference_brand_finds_releases_that_never_name_the_brand(globenewswire, releases):
    hits = globenewswire.search("Neulasta biosimilar", k=10)["hits"]
    udenyca = [
        number
        for number, row in releases.items()
        if "UDENYCA" in row["title"] and "neulasta" not in (row["title"] + row["summary"]).lower()
    ]
    assert udenyca and {hit["doc_id"] for hit in hits[:3]} & set(udenyca)


def test_stats_count_what_filtering_the_real_releases_finds(globenewswire_index, globenewswire):
    """``clinsearch stats`` counts what the indexer extracted (the releases carry no event or
    regulator fields), so a value's count is the number of releases browsing with it as a
    filter lists, each version of a news item included; each release has one event type."""
    counts = index_statistics(globenewswire_index)
    assert sum(counts["facets"]["event type"].values()) == counts["documents"]
    for facet, label in (("event", "event type"), ("regulator", "regulator")):
        assert counts["facets"][label], label
        for value, count in list(counts["facets"][label].items())[:3]:
            hits = list(globenewswire.all_hits(globenewswire_browse(**{facet: (value,)})))
            matched = sum(version["matched"] for hit in hits for version in hit["other_versions"])
            assert count == len(hits) + matched, (label, value)
    groups = list(globenewswire.all_hits(globenewswire_browse(date_from="1900-01-01")))
    assert counts["retellings"] == counts["documents"] - len(groups) > 0


def test_date_order_lists_the_closest_matches_newest_first(globenewswire, globenewswire_dataset):
    """Sorted by date, a whole list of loose matches put unrelated news first (for CAR-T a
    sepsis test maker's releases); the newest ten must be mostly what the assessors judged
    relevant, and the list must keep most of what they judged relevant."""
    shown = shown_relevant = kept = judged = 0
    for split in ("dev", "test"):
        dataset = load_dataset(globenewswire_dataset, split)
        for query_id, text in dataset.queries.items():
            wanted = {doc_id for doc_id, grade in dataset.qrels[query_id].items() if grade >= 1}
            by_date = [hit["doc_id"] for hit in globenewswire.all_hits(SearchRequest(text, sort="date"))]
            by_relevance = {hit["doc_id"] for hit in globenewswire.all_hits(SearchRequest(text))}
            shown += len(by_date[:10])
            shown_relevant += len(wanted.intersection(by_date[:10]))
            kept += len(wanted.intersection(by_date))
            judged += len(wanted & by_relevance)
    assert shown_relevant / shown > 0.3  # 0.06 before the floor
    assert kept / judged > 0.85
    newest = globenewswire.search("CAR-T", sort="date", k=10)["hits"]
    assert [hit["date"] for hit in newest] == sorted((hit["date"] for hit in newest), reverse=True)
    assert not [hit["title"] for hit in newest if "T2 Biosystems" in hit["title"]]
