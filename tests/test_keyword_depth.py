"""A search that lists only its best keyword passages (``Searcher(keyword_depth=…)``, what keeps
a million-passage index fast) ranks as the whole list does and estimates its total, on the real
GlobeNewswire releases and their judged queries."""

import json

import pytest
from conftest import ROOT

from search.pipeline import Searcher
from search.request import SearchRequest
from search.understanding import Interpretation

pytestmark = pytest.mark.slow  # indexes the GlobeNewswire releases
JUDGED = ROOT / "bench" / "judged" / "globenewswire" / "queries.jsonl"
# 500 of the 4,341 passages: a harsher cut than KEYWORD_DEPTH (10,000) is of a million passages.
DEPTH = 500


@pytest.fixture(scope="module")
def whole_and_cut(globenewswire_index) -> tuple[Searcher, Searcher]:
    return Searcher(globenewswire_index, keyword_depth=None), Searcher(globenewswire_index, keyword_depth=DEPTH)


def judged_queries() -> list[str]:
    return [json.loads(line)["text"] for line in JUDGED.open(encoding="utf-8") if line.strip()]


def test_a_list_cut_at_its_depth_ranks_its_top_ten_as_the_whole_list(whole_and_cut):
    whole, cut = whole_and_cut
    estimated = 0
    for query in judged_queries():
        for mode in ("hybrid", "keyword"):
            all_listed, best_listed = whole.search(query, mode=mode), cut.search(query, mode=mode)
            assert [hit["doc_id"] for hit in best_listed["hits"]] == [hit["doc_id"] for hit in all_listed["hits"]]
            if not (mode == "hybrid" and Interpretation.of(query).names_a_product_or_target()):
                # Keyword scores are normalised over every match, listed or not. (A hybrid query
                # naming a drug or target keeps the semantic hits of listed documents only.)
                assert [hit["score"] for hit in best_listed["hits"]] == pytest.approx(
                    [hit["score"] for hit in all_listed["hits"]]
                ), (query, mode)
            assert not all_listed["total_estimated"] and all_listed["listed"] == all_listed["total"]
            if best_listed["total_estimated"]:
                estimated += 1
                assert best_listed["listed"] < all_listed["total"]
                assert best_listed["total"] == pytest.approx(all_listed["total"], rel=0.15), (query, mode)
            else:
                assert best_listed["total"] == all_listed["total"] and best_listed["facets"] == all_listed["facets"]
    assert estimated > 100  # the depth was reached often enough to test something


def test_facets_count_the_listed_documents_and_pages_stop_there(whole_and_cut):
    _whole, cut = whole_and_cut
    listed = cut.search("phase 3 trial results", mode="keyword", k=100)
    assert listed["total_estimated"] and listed["listed"] < listed["total"]
    events = listed["facets"]["event"]["values"]
    assert sum(value["count"] for value in events) <= listed["listed"]
    past = cut.search("phase 3 trial results", mode="keyword", k=100, page=listed["listed"] // 100 + 1)
    assert len(past["hits"]) == listed["listed"] % 100


def test_an_export_lists_every_match_past_the_depth(whole_and_cut):
    whole, cut = whole_and_cut
    request = SearchRequest("phase 3 trial results", mode="keyword")
    exported = [hit["doc_id"] for hit in cut.all_hits(request)]
    assert exported == [hit["doc_id"] for hit in whole.all_hits(request)]
    assert len(exported) == whole.run(request)["total"] > cut.run(request)["listed"]
