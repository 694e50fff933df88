"""Ranking on the real bundled corpus with the real model: the stated queries find their stories."""

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from search import semantic
from search.engine import Searcher
from search.errors import QueryError
from search.filters import Filters
from search.request import SearchRequest
from search.results import ResultReader, collapse_duplicates, found_with
from search.semantic import SplitScan, semantic_search

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


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("query", ["EpCAM CAR-T gastric", "NTRK fusion approval China", "orphan designation ATTR"])
def test_a_page_read_ahead_from_the_keyword_list_equals_the_page_read_afterwards(searcher, query, page):
    """While the model runs, a hybrid query reads the page the keyword list alone would show;
    the results must be those of a reader that read nothing ahead."""
    request = SearchRequest(query, k=5, page=page)
    retrieval = searcher.retrieve(request)
    group_numbers = retrieval.opened.facets.group_numbers
    fused = searcher.rank(request, retrieval)
    shown = collapse_duplicates(fused, group_numbers).taken(slice((page - 1) * 5, page * 5))
    versions = found_with(fused, shown.keys, group_numbers)

    def hits_read_by(reader):
        return searcher._hits(replace(retrieval, reader=reader), shown, versions, first_rank=(page - 1) * 5 + 1)

    def fresh_reader():
        return ResultReader(retrieval.opened.store, retrieval.opened.facets.group_of, retrieval.parsed.terms)

    ahead = fresh_reader()
    searcher._read_likely_page(retrieval.opened, ahead, retrieval.keyword, request)
    assert ahead.passages and ahead.documents  # something was read ahead
    assert hits_read_by(ahead) == hits_read_by(fresh_reader())


def test_the_matrix_scan_ranks_by_cosine_and_keeps_filtered_rows_out(searcher):
    vectors = searcher._current().vectors
    query_vector = (vectors[3] + vectors[7]) / 2
    chunk_ids, scores = semantic_search(vectors, query_vector, 10)
    assert sorted(chunk_ids[:2].tolist()) == [3, 7] and list(scores) == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(float(vectors[chunk_ids[0]] @ query_vector), abs=1e-5)
    allowed = np.ones(len(vectors), dtype=bool)
    allowed[[3, 7]] = False
    assert not {3, 7} & set(semantic_search(vectors, query_vector, 10, allowed)[0].tolist())
    only = np.zeros(len(vectors), dtype=bool)
    only[[5, 9]] = True
    assert sorted(semantic_search(vectors, query_vector, 10, only)[0].tolist()) == [5, 9]


class ReadLog:
    """A matrix that notes which thread reads each of its slices; the encoding thread (this one)
    reads slowly, so that a helper has time to take a half."""

    def __init__(self, rows: np.ndarray):
        self.rows, self.dtype, self.readers = rows, rows.dtype, []

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, part: slice):
        self.readers.append(threading.current_thread())
        if threading.current_thread() is threading.main_thread():
            time.sleep(0.005)
        return self.rows[part]


def split_scores(matrix, query_vector, helped: bool) -> np.ndarray:
    """A ``SplitScan``'s scores, with the request thread's part played by a second thread or by no one."""
    scan = SplitScan(matrix)
    helper = threading.Thread(target=scan.help) if helped else None
    if helper:
        helper.start()
    scan.offer(query_vector)
    scores = scan.scores()
    if helper:
        helper.join(timeout=5)
    return scores


def test_a_split_scan_scores_every_row_whoever_computes_each_half(searcher):
    vectors = searcher._current().vectors
    query_vector = (vectors[3] + vectors[200]) / 2
    alone = split_scores(vectors, query_vector, helped=False)
    assert np.allclose(alone, vectors @ query_vector, atol=1e-6)
    helped = 0
    for _ in range(5):  # the halves go to either thread; the scores must not depend on which
        log = ReadLog(vectors)
        assert np.array_equal(split_scores(log, query_vector, helped=True), alone)
        helped += any(reader is not threading.main_thread() for reader in log.readers)
    assert helped  # the helper did compute a half


def test_a_released_helper_returns_without_a_vector(searcher):
    scan, returned = SplitScan(searcher._current().vectors), []
    helper = threading.Thread(target=lambda: returned.append(scan.help()))
    helper.start()
    scan.release()
    helper.join(timeout=5)
    assert returned == [None]


def test_a_failed_model_does_not_leave_the_request_thread_helping_forever(searcher, monkeypatch):
    opened, outcome = searcher._current(), []
    monkeypatch.setattr(opened, "splits_scan", True)
    monkeypatch.setattr(opened.encoder, "encode", lambda texts: 1 / 0)

    def search():
        try:
            searcher.retrieve(SearchRequest("EpCAM CAR-T gastric"))
        except ZeroDivisionError:
            outcome.append("raised")

    thread = threading.Thread(target=search, daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert outcome == ["raised"]


def test_a_half_the_helper_fails_fails_the_scan_instead_of_hanging_it(searcher):
    vectors, raised, helper_failed = searcher._current().vectors, {}, threading.Event()

    class UnreadableByTheHelper:  # as if reading the mapped file failed on the helper's thread
        dtype = vectors.dtype

        def __len__(self):
            return len(vectors)

        def __getitem__(self, rows):
            if threading.current_thread() is helper:
                helper_failed.set()
                raise OSError("unreadable")
            return vectors[rows]

    def expect_failure(step):
        try:
            step()
        except (OSError, RuntimeError) as error:
            raised[step.__name__] = error

    scan = SplitScan(UnreadableByTheHelper())
    helper, encoder = (
        threading.Thread(target=expect_failure, args=(step,), daemon=True) for step in (scan.help, scan.scores)
    )
    helper.start()
    scan.offer(vectors[0])
    assert helper_failed.wait(timeout=5)  # the helper took a half first and failed on it
    encoder.start()  # computes the other half, then must not wait for the failed one forever
    for thread in (helper, encoder):
        thread.join(timeout=5)
    assert isinstance(raised["help"], OSError)
    assert isinstance(raised["scores"], RuntimeError) and isinstance(raised["scores"].__cause__, OSError)


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_a_split_scan_finds_what_one_scan_finds(searcher, mode, monkeypatch):
    request = SearchRequest("EpCAM CAR-T gastric", mode=mode)
    whole = searcher.retrieve(request).semantic
    scans = []

    class CountedScan(SplitScan):
        def scores(self):
            scans.append(self)
            return super().scores()

    monkeypatch.setattr(semantic, "SplitScan", CountedScan)
    monkeypatch.setattr(searcher._current(), "splits_scan", True)  # the bundled index is below SPLIT_SCAN_ROWS
    split = searcher.retrieve(request).semantic
    assert len(scans) == 1  # the split path was taken
    assert split[0].tolist() == whole[0].tolist()
    assert np.allclose(split[1], whole[1], atol=1e-6)
