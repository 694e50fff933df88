"""Keyword scoring on our own postings arrays gives Whoosh's BM25F scores and selects what
Whoosh selects, on a fresh generation and on one extended with deletions (whose scores Whoosh
itself counts per segment, see ``search.embedded.keyword``)."""

import json
import shutil

import pytest
from conftest import CORPUS, ROOT
from whoosh import query as whoosh_query
from whoosh import scoring

from indexer.build import reindex
from search.embedded.phrases import whoosh_clause
from search.filters import Filters
from search.pipeline import Searcher
from search.query import parse, without_unmatched

JUDGED = ROOT / "bench" / "judged" / "globenewswire" / "queries.jsonl"
SYNTAX = [
    '"phase 3" psoriasis',
    "+FDA approval -EMA",
    "company:Immunofoco CAR-T",
    "NOT orphan designation gene therapy",
    'tafamidis -"cardiomyopathy"',
    "EpCAM CAR-T gastric",
    '"chimeric antigen receptor" BCMA',
]
WHOOSH_BM25F = scoring.BM25F(B=0.75, K1=1.2)


def queries() -> list[str]:
    return [json.loads(line)["text"] for line in JUDGED.open(encoding="utf-8") if line.strip()] + SYNTAX


def scored(searcher: Searcher, text: str, filters: Filters | None = None):
    """The parsed query as the pipeline scores it, and our keyword hits for it."""
    opened = searcher.current()
    parsed = parse(text, opened.aliases)
    statistics = opened.shard.keyword_statistics(parsed.clauses())
    parsed.keyword = without_unmatched(parsed.keyword, statistics.matching)
    return parsed, opened.shard.keyword_search(parsed, statistics, filters or Filters(), None).ranked


def whoosh_selection(whoosh, parsed, date_from: str | None = None) -> set[int]:
    """The chunks Whoosh's own search returns for ``parsed`` (document numbers are chunk ids)."""
    if parsed.keyword is None:
        return set()
    constraints = [whoosh_clause(parsed.required)] if parsed.required else []
    if date_from:
        constraints.append(whoosh_query.TermRange("date", date_from, "9999-99-99"))
    results = whoosh.search(
        whoosh_clause(parsed.keyword),
        limit=None,
        filter=whoosh_query.And(constraints) if constraints else None,
        mask=whoosh_clause(parsed.excluded) if parsed.excluded else None,
    )
    return {hit.docnum for hit in results}


def whoosh_searcher(searcher: Searcher):
    return searcher.current().shard.phrases.index.searcher(weighting=WHOOSH_BM25F)


def assert_whoosh_scores(whoosh, parsed, chunk_ids, scores, text: str) -> None:
    for chunk_id, score in zip(chunk_ids.tolist(), scores.tolist(), strict=True):
        # replace(): Whoosh's search first drops the (nested) clauses that match nothing
        matcher = whoosh_clause(parsed.keyword).matcher(whoosh).replace()
        matcher.skip_to(chunk_id)
        assert matcher.id() == chunk_id and score == pytest.approx(matcher.score(), rel=1e-9), text


def test_every_score_is_whooshs_score_of_that_passage_matched_alone(searcher):
    with whoosh_searcher(searcher) as whoosh:
        for text in queries():
            parsed, (chunk_ids, scores) = scored(searcher, text)
            assert_whoosh_scores(whoosh, parsed, chunk_ids[:10], scores[:10], text)


def test_required_and_excluded_clauses_and_filters_keep_what_whoosh_keeps(searcher):
    with whoosh_searcher(searcher) as whoosh:
        for text in queries():
            for date_from in (None, "2020-01-01"):
                parsed, (chunk_ids, _scores) = scored(searcher, text, Filters.of(date_from=date_from))
                assert set(chunk_ids.tolist()) == whoosh_selection(whoosh, parsed, date_from), (text, date_from)


def test_a_generation_extended_with_deletions_is_scored_across_its_segments(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paths = sorted(CORPUS.glob("*.md"))[:30]
    for path in paths:
        shutil.copy(path, corpus / path.name)
    reindex(corpus, tmp_path / "index", show_progress=False)
    (corpus / paths[0].name).unlink()
    shutil.copy(sorted(CORPUS.glob("*.md"))[30], corpus)
    assert reindex(corpus, tmp_path / "index", show_progress=False).incremental
    searcher = Searcher(tmp_path / "index")
    live = searcher.current().table.live
    deleted = {chunk for chunk in range(len(live)) if not live[chunk]}
    with whoosh_searcher(searcher) as whoosh:
        assert not whoosh.is_atomic() and deleted, "two segments, and deleted passages"
        for text in queries():
            parsed, (chunk_ids, _scores) = scored(searcher, text)
            assert set(chunk_ids.tolist()) == whoosh_selection(whoosh, parsed), text
            assert not set(chunk_ids.tolist()) & deleted
