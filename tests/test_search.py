"""Ranking on the real bundled corpus with the real model: the stated queries find their stories."""

import numpy as np
import pytest

from search.embedded.semantic import above_cut, cosines
from search.errors import QueryError
from search.filters import Filters
from search.pipeline import Searcher
from search.shards import CUT_DEVIATIONS

ZOLERETINIB = "2025-12-11-innocare-zoleretinib-nmpa-approval"


def top(searcher, query, mode="hybrid"):
    return searcher.search(query, k=10, mode=mode)["hits"][0]


def top_with(searcher, query, **options):
    return searcher.search(query, k=10, **options)["hits"][0]


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_epcam_car_t_gastric_finds_imc001_first(searcher, mode):
    assert top(searcher, "EpCAM CAR-T gastric", mode)["metadata"]["programme"] == "IMC001"


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_ntrk_fusion_approval_china_finds_zoleretinib_first(searcher, mode):
    assert top(searcher, "NTRK fusion approval China", mode)["doc_id"] == ZOLERETINIB


@pytest.mark.parametrize("query", ["ICP-723", "ICP723", "icp-723"])
def test_a_drug_code_finds_its_drug(searcher, query):
    assert top(searcher, query)["doc_id"] == ZOLERETINIB


def test_a_reopened_index_ranks_the_same(index_dir):
    assert top(Searcher(index_dir), "NTRK fusion approval China")["doc_id"] == ZOLERETINIB


def test_each_document_appears_once_with_its_best_passage_first(searcher):
    hits = searcher.search("IMC001 EpCAM CAR-T", k=20)["hits"]
    doc_ids = [hit["doc_id"] for hit in hits]
    assert len(doc_ids) == len(set(doc_ids))
    assert all(len(hit["more_passages"]) <= 2 for hit in hits)


def test_hybrid_hits_carry_both_score_parts(searcher):
    hit = top(searcher, "EpCAM CAR-T gastric")
    assert hit["keyword_rank"] and hit["semantic_rank"]
    assert hit["keyword_score"] > 0 and hit["semantic_score"] > 0


@pytest.mark.parametrize(("aliases", "expected"), [(False, {"ICP-723"}), (True, {"ICP-723", "zoleretinib"})])
def test_highlights_mark_the_query_words_whatever_their_spelling(searcher, aliases, expected):
    hit = top_with(searcher, "ICP723", aliases=aliases)
    marked = [hit["passage"]["text"][s:e] for s, e in hit["passage"]["highlights"]]
    marked += [hit["title"][s:e] for s, e in hit["title_highlights"]]
    assert {text.lower() for text in marked} == {text.lower() for text in expected}


@pytest.mark.parametrize(
    ("query", "k", "mode", "message"),
    [
        ("", 10, "hybrid", "empty"),
        ("x" * 2001, 10, "hybrid", "limit"),
        ("ok", 0, "hybrid", "k must"),
        ("ok", 101, "hybrid", "k must"),
        ("ok", 10, "fuzzy", "mode must"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(searcher, query, k, mode, message):
    with pytest.raises(QueryError, match=message):
        searcher.search(query, k=k, mode=mode)


def test_operator_soup_does_not_break_the_search(searcher):
    for mode in ("keyword", "semantic", "hybrid"):
        assert searcher.search("((( AND NOT", mode=mode)["hits"] == []


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_excluded_words_keep_their_passages_out_of_every_mode(searcher, mode):
    hits = searcher.search("EpCAM CAR-T IND -Porton", k=10, mode=mode)["hits"]
    assert hits
    for hit in hits:
        assert "porton" not in (hit["title"] + hit["passage"]["text"]).lower()


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_quoted_phrases_are_required_in_every_mode(searcher, mode):
    hits = searcher.search('"clinical hold" lifted', k=10, mode=mode)["hits"]
    assert hits
    for hit in hits:
        assert "clinical hold" in " ".join((hit["title"] + " " + hit["passage"]["text"]).lower().split())


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_date_filters_hold_in_every_mode(searcher, mode):
    hits = searcher.search(
        "gene therapy", k=20, mode=mode, filters=Filters.of(date_from="2024-01-01", date_to="2024-06-30")
    )["hits"]
    assert hits
    assert all("2024-01-01" <= hit["date"] <= "2024-06-30" for hit in hits)


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_company_filter_and_field_syntax_agree(searcher, mode):
    by_filter = searcher.search("CRISPR", k=20, mode=mode, filters=Filters.of(company=("intellia therapeutics",)))[
        "hits"
    ]
    by_syntax = searcher.search('CRISPR company:"Intellia Therapeutics"', k=20, mode=mode)["hits"]
    assert by_filter and by_syntax
    assert {hit["company"] for hit in by_filter} == {hit["company"] for hit in by_syntax} == {"Intellia Therapeutics"}


def test_aliases_are_searched_and_reported(searcher):
    answer = searcher.search("TACSTD1 CAR-T", mode="keyword")
    assert "EpCAM" in answer["also_searched"]
    assert answer["hits"][0]["metadata"]["programme"] == "IMC001"
    assert searcher.search("TACSTD1 CAR-T", mode="keyword", aliases=False)["also_searched"] == []


def test_name_code_pairs_mined_from_the_corpus_expand_queries(searcher):
    assert "muzastotug" in searcher.search("ADG126")["also_searched"]


def test_a_query_with_no_good_match_returns_nothing_rather_than_noise(searcher):
    assert searcher.search("qwxzv plokijuh", k=10)["hits"] == []


def test_rrf_fusion_scores_are_the_sum_of_reciprocal_ranks(searcher):
    hit = searcher.search("EpCAM CAR-T gastric", fusion="rrf", rrf_k=10, interpret=False)["hits"][0]
    parts = [rank for rank in (hit["keyword_rank"], hit["semantic_rank"]) if rank]
    assert hit["score"] == pytest.approx(sum(1 / (10 + rank) for rank in parts))


def test_convex_fusion_scores_stay_between_zero_and_one(searcher):
    hits = searcher.search("EpCAM CAR-T gastric", fusion="convex", alpha=0.5, interpret=False)["hits"]
    assert all(0.0 <= hit["score"] <= 1.0 for hit in hits)
    assert hits[0]["score"] >= hits[-1]["score"]


def test_the_matrix_scan_ranks_by_cosine_and_keeps_filtered_rows_out(searcher):
    vectors = searcher.current().shard.vectors
    query_vector = (vectors[3] + vectors[7]) / 2
    chunk_ids, scores = above_cut(cosines(vectors, query_vector), None, None, None)
    assert sorted(chunk_ids[:2].tolist()) == [3, 7] and list(scores) == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(float(vectors[chunk_ids[0]] @ query_vector), abs=1e-5)
    allowed = np.ones(len(vectors), dtype=bool)
    allowed[[3, 7]] = False
    assert not {3, 7} & set(above_cut(cosines(vectors, query_vector), None, allowed, None)[0].tolist())
    only = np.zeros(len(vectors), dtype=bool)
    only[[3, 9]] = True
    assert set(above_cut(cosines(vectors, query_vector), None, only, None)[0].tolist()) <= {3, 9}


def test_the_matrix_scan_keeps_only_rows_that_stand_out_from_the_query_s_own_cosines(searcher):
    vectors = searcher.current().shard.vectors
    query_vector = (vectors[3] + vectors[7]) / 2
    all_cosines = vectors @ query_vector
    chunk_ids, scores = above_cut(cosines(vectors, query_vector), None, None, None)
    cut = all_cosines.mean() + CUT_DEVIATIONS * all_cosines.std()
    assert 2 <= len(chunk_ids) < len(vectors) / 10
    assert scores.min() >= cut - 1e-6 and (all_cosines >= cut + 1e-6).sum() <= len(chunk_ids)


def test_a_query_that_searches_for_nothing_says_so(searcher):
    for query in ("-China", "the of"):
        answer = searcher.search(query)
        assert answer["total"] == 0 and answer["notice"].startswith("Nothing to search for"), query


def test_a_repeated_unknown_word_is_named_once(searcher):
    assert searcher.search("xyzzq xyzzq")["notice"] == "No document mentions “xyzzq”."
