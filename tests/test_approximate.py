"""The HNSW graph of a large index's vectors (search.embedded.approximate) answers what the exact scan answers."""

import json
import shutil

import numpy as np
import pytest

from indexer.build import is_up_to_date, reindex
from search.embedded import approximate
from search.embedded.index_format import open_generation
from search.errors import ClinsearchError
from search.filters import Filters
from search.pipeline import Searcher
from tests.conftest import write


def top_ids(searcher, query, **options):
    return [hit["doc_id"] for hit in searcher.search(query, k=10, **options)["hits"]]


@pytest.fixture(scope="module")
def globenewswire_graphed(globenewswire_index, tmp_path_factory):
    """A copy of the real GlobeNewswire index with a graph of its vectors added."""
    copy = tmp_path_factory.mktemp("graphed") / "index"
    shutil.copytree(globenewswire_index, copy)
    generation = open_generation(copy)
    approximate.build(np.load(generation.vectors_path), None, generation.graph_path)
    return copy


def test_graph_gives_the_scans_top_ten_on_real_releases(
    globenewswire, globenewswire_graphed, globenewswire_dataset, monkeypatch
):
    monkeypatch.setenv("CLINSEARCH_VECTORS", "ann")
    graphed = Searcher(globenewswire_graphed)
    assert graphed.current().shard.graph is not None
    queries = [json.loads(line)["text"] for line in (globenewswire_dataset / "queries.jsonl").open()]
    for mode in ("semantic", "hybrid"):
        differing = [
            query for query in queries if top_ids(graphed, query, mode=mode) != top_ids(globenewswire, query, mode=mode)
        ]
        assert not differing, f"{mode}: {len(differing)} of {len(queries)} queries differ, e.g. {differing[:3]}"


@pytest.mark.parametrize(
    "filters, scanned, widened",
    [
        (Filters.of(date_from="2024-06-01"), False, False),  # half the rows pass: the graph walks with a bitmap
        (Filters.of(date_from="2024-06-01"), False, True),  # a walk widened as in a graph of a million rows
        (Filters.of(event=("approval",)), True, False),  # few pass: those rows are scanned
    ],
)
def test_filters_hold_inside_the_graph_search(
    globenewswire, globenewswire_graphed, monkeypatch, filters, scanned, widened
):
    monkeypatch.setenv("CLINSEARCH_VECTORS", "ann")
    if widened:
        monkeypatch.setattr(approximate, "WIDENED_MIN_ROWS", 0)
    graphed = Searcher(globenewswire_graphed)
    table = graphed.current().table
    passing = filters.chunk_mask(table)
    assert (passing.mean() <= approximate.SCAN_SHARE) == scanned
    for query in ("PD-1 antibody approval", "CAR-T lymphoma", "FDA approval"):
        found = graphed.search(query, k=10, mode="semantic", filters=filters)["hits"]
        assert found, query
        assert [hit["doc_id"] for hit in found] == [
            hit["doc_id"] for hit in globenewswire.search(query, k=10, mode="semantic", filters=filters)["hits"]
        ]


def release(number: int, title: str) -> str:
    return f"---\ntitle: {title}\ndate: 2025-0{number}-01\n---\n{title}. " + (
        "The company reported data from its programme. " * 8
    )


def test_reindex_builds_a_graph_when_asked_and_a_removed_document_is_never_found(tmp_path, monkeypatch):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    write(corpus, "a.md", release(1, "Zanidatamab approved for biliary tract cancer"))
    write(corpus, "b.md", release(2, "Tarlatamab shows responses in small cell lung cancer"))
    for number, letter in enumerate("cdefgh", start=3):  # so that one removal leaves the rest to extend
        write(corpus, f"{letter}.md", release(number, f"Filler release {letter} about cohort {letter}"))
    reindex(corpus, index, show_progress=False)
    assert not open_generation(index).graph_path.exists()  # 'auto' below GRAPH_MIN_ROWS: no graph

    monkeypatch.setenv("CLINSEARCH_VECTORS", "ann")
    assert not is_up_to_date(corpus, index)  # a graph is now wanted
    reindex(corpus, index, show_progress=False)
    generation = open_generation(index)
    assert generation.graph_path.is_file() and generation.manifest["graph"]
    assert top_ids(Searcher(index), "zanidatamab biliary", mode="semantic")[0] == "a"

    (corpus / "a.md").unlink()
    report = reindex(corpus, index, show_progress=False)
    assert report.incremental  # the graph was extended; the removed passage stays in it, unreachable
    assert "a" not in top_ids(Searcher(index), "zanidatamab biliary", mode="semantic")


def test_asking_for_a_graph_the_index_lacks_is_a_clear_error(index_dir, monkeypatch):
    monkeypatch.setenv("CLINSEARCH_VECTORS", "ann")
    with pytest.raises(ClinsearchError, match="no graph of its vectors"):
        Searcher(index_dir)
    monkeypatch.setenv("CLINSEARCH_VECTORS", "graph")
    with pytest.raises(ClinsearchError, match="CLINSEARCH_VECTORS='graph' is not one of exact, ann, auto"):
        Searcher(index_dir)


def test_passages_added_past_the_graph_are_scanned_beside_it_until_it_is_rewritten(tmp_path, monkeypatch):
    """A reindex that adds a few passages links the graph of the generation it extends (no
    hundreds of megabytes read and written) and scans the added rows exactly: they are found,
    a filter still holds on them, and a removed one is never found."""
    monkeypatch.setenv("CLINSEARCH_VECTORS", "ann")
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for number, letter in enumerate("abcdefgh", start=1):
        write(corpus, f"{letter}.md", release(number, f"Filler release {letter} about cohort {letter}"))
    reindex(corpus, index, show_progress=False)
    before = open_generation(index)
    graph_file = before.graph_path.stat().st_ino  # an old generation is pruned; its graph's inode lives on
    write(corpus, "new.md", release(9, "Efruxifermin reverses fibrosis in compensated MASH cirrhosis"))
    reindex(corpus, index, show_progress=False)
    after = open_generation(index)
    assert after.graph_path.stat().st_ino == graph_file
    assert after.manifest["graph_rows"] == before.manifest["chunk_rows"] < after.manifest["chunk_rows"]
    searcher = Searcher(index)
    assert top_ids(searcher, "efruxifermin fibrosis cirrhosis", mode="semantic")[0] == "new"
    early = Filters.of(date_to="2025-08-01")
    too_early = searcher.search("efruxifermin fibrosis cirrhosis", mode="semantic", filters=early)
    assert "new" not in [hit["doc_id"] for hit in too_early["hits"]]
    monkeypatch.setattr(approximate, "SCAN_SHARE", 0.5)  # few rows pass: those are scanned, the tail's too
    late = Filters.of(date_from="2025-07-01")
    scanned = searcher.search("efruxifermin fibrosis cirrhosis", mode="semantic", filters=late)
    assert [hit["doc_id"] for hit in scanned["hits"]][:1] == ["new"]

    (corpus / "new.md").unlink()
    reindex(corpus, index, show_progress=False)
    assert open_generation(index).graph_path.stat().st_ino == graph_file
    assert "new" not in top_ids(Searcher(index), "efruxifermin fibrosis cirrhosis", mode="semantic")
