"""The numpy keyword backend scores as Whoosh does and selects what Whoosh selects."""

import json
import shutil
from dataclasses import replace

import pytest
from conftest import CORPUS, ROOT

from indexer.build import reindex
from search import keyword
from search.engine import Searcher
from search.errors import ClinsearchError
from search.filters import Filters
from search.query import parse

JUDGED = ROOT / "bench" / "judged" / "globenewswire" / "queries.jsonl"
SYNTAX = [
    '"phase 3" psoriasis',
    "+FDA approval -EMA",
    "company:Immunofoco CAR-T",
    "NOT orphan designation gene therapy",
    'tafamidis -"cardiomyopathy"',
    "EpCAM CAR-T gastric",
]
EVERYTHING = 100_000  # a limit above any match count: the whole result list


def queries() -> list[str]:
    return [json.loads(line)["text"] for line in JUDGED.open(encoding="utf-8") if line.strip()] + SYNTAX


def test_every_score_is_whooshs_score_of_that_passage_matched_alone(searcher):
    opened = searcher._current()
    with opened.keyword_searcher() as whoosh:
        for text in queries():
            parsed = parse(text, opened.schema, opened.aliases)
            # as the engine asks either backend: without the query's clauses that match nothing
            parsed = replace(parsed, keyword=keyword.without_unmatched(whoosh, parsed.keyword))
            hits = opened.term_arrays.search(whoosh, parsed, EVERYTHING)
            for chunk_id, score in hits[:10]:
                # replace(): Whoosh's search first drops the (nested) clauses that match nothing
                matcher = parsed.keyword.matcher(whoosh).replace()
                matcher.skip_to(chunk_id)
                assert matcher.id() == chunk_id and score == pytest.approx(matcher.score(), rel=1e-9), text


def test_filters_and_required_and_excluded_clauses_keep_what_whoosh_keeps(searcher):
    opened = searcher._current()
    filters = [None, Filters.of(date_from="2020-01-01", regulator=("FDA", "EMA")).keyword_filter()]
    with opened.keyword_searcher() as whoosh:
        for text in queries():
            parsed = parse(text, opened.schema, opened.aliases)
            for allowed in filters:
                ours = opened.term_arrays.search(whoosh, parsed, EVERYTHING, allowed)
                theirs = keyword.keyword_search(whoosh, parsed, EVERYTHING, allowed)
                assert {chunk for chunk, _ in ours} == {chunk for chunk, _ in theirs}, (text, allowed)


def test_a_generation_extended_with_deletions_is_read_across_its_segments(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paths = sorted(CORPUS.glob("*.md"))[:30]
    for path in paths:
        shutil.copy(path, corpus / path.name)
    reindex(corpus, tmp_path / "index", show_progress=False)
    (corpus / paths[0].name).unlink()
    shutil.copy(sorted(CORPUS.glob("*.md"))[30], corpus)
    assert reindex(corpus, tmp_path / "index", show_progress=False).incremental
    opened = Searcher(tmp_path / "index")._current()
    deleted = {chunk for chunk in range(len(opened.facets.live)) if not opened.facets.live[chunk]}
    with opened.keyword_searcher() as whoosh:
        assert not whoosh.is_atomic() and deleted, "two segments, and deleted passages"
        for text in queries():
            parsed = parse(text, opened.schema, opened.aliases)
            ours = opened.term_arrays.search(whoosh, parsed, EVERYTHING)
            theirs = keyword.keyword_search(whoosh, parsed, EVERYTHING)
            assert {chunk for chunk, _ in ours} == {chunk for chunk, _ in theirs}, text
            assert not {chunk for chunk, _ in ours} & deleted


def test_the_backend_is_chosen_by_setting(index_dir, monkeypatch):
    monkeypatch.setenv("CLINSEARCH_KEYWORD", "whoosh")
    assert Searcher(index_dir)._current().term_arrays is None
    monkeypatch.setenv("CLINSEARCH_KEYWORD", "lucene")
    with pytest.raises(ClinsearchError, match="CLINSEARCH_KEYWORD='lucene' is not one of numpy, whoosh"):
        Searcher(index_dir)
