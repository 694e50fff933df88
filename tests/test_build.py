"""Generations: built aside, switched atomically, reused incrementally, never half-switched."""

import contextlib
import fcntl
import json
import sqlite3
import threading

import pytest
from conftest import write

import indexer.build
from indexer.additions import add_documents
from indexer.build import reindex
from search.embedded.index_format import LOCK_FILE, current_generation_name
from search.encoder import configured_model_name
from search.errors import ClinsearchError, IndexLockedError, IndexNotFoundError
from search.opening import embedded_shards
from search.pipeline import Searcher


@pytest.fixture()
def small_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    write(
        corpus,
        "a.md",
        "---\ntitle: Acme AC-1 approved by the FDA\ndate: 2024-01-02\n---\n"
        "The FDA approved AC-1 for plaque psoriasis in adults.\n",
    )
    write(
        corpus,
        "b.md",
        "---\ntitle: Beta starts a Phase 2 trial of BT-9\ndate: 2024-02-03\n---\n"
        "Beta dosed the first patient with BT-9, an siRNA for hypertension.\n",
    )
    return corpus


def test_reindex_writes_a_generation_with_its_manifest_and_switches_to_it(small_corpus, tmp_path):
    report = reindex(small_corpus, tmp_path / "index", show_progress=False)
    assert (report.documents, report.chunks, report.problems) == (2, 2, [])
    assert current_generation_name(tmp_path / "index") == report.generation
    manifest = json.loads((tmp_path / "index" / report.generation / "manifest.json").read_text())
    assert manifest["model"] == configured_model_name() and manifest["dimension"] == 384
    assert set(manifest["document_hashes"]) == {"a", "b"}


def store_indexes(store_path) -> set[str]:
    with contextlib.closing(sqlite3.connect(store_path)) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_an_addition_gives_a_store_written_before_its_lookup_indexes_those_indexes(small_corpus, tmp_path):
    first = reindex(small_corpus, tmp_path / "index", show_progress=False)
    lookups = {"documents_by_date", "documents_naming_same_news"}
    old_store = tmp_path / "index" / first.generation / "store.sqlite"
    assert lookups <= store_indexes(old_store)
    with contextlib.closing(sqlite3.connect(old_store)) as connection:  # as a store written before them
        for name in lookups:
            connection.execute(f"DROP INDEX {name}")
    text = "---\ntitle: Gamma licenses GM-3\ndate: 2024-02-04\n---\nGamma licensed GM-3 to Delta.\n"
    added = write(tmp_path / "new", "c.md", text)
    report = add_documents(added, tmp_path / "index", show_progress=False)
    assert report.documents == 3
    assert lookups <= store_indexes(tmp_path / "index" / report.generation / "store.sqlite")


def test_adding_a_document_extends_the_generation_and_embeds_only_its_passage(small_corpus, tmp_path):
    first = reindex(small_corpus, tmp_path / "index", show_progress=False)
    write(small_corpus, "c.md", "---\ntitle: Gamma licenses GM-3\n---\nGamma licensed GM-3 to Delta.\n")
    report = reindex(small_corpus, tmp_path / "index", show_progress=False)
    assert report.incremental and (report.encoded, report.chunks) == (1, 3)
    kept = Searcher(tmp_path / "index").search("AC-1 psoriasis", mode="keyword")["hits"][0]
    assert kept["doc_id"] == "a" and kept["passage"]["chunk_id"] == 0, "a kept chunk keeps its id"
    assert first.generation != report.generation


def test_an_index_built_under_other_extraction_rules_is_rebuilt_not_extended(small_corpus, tmp_path):
    first = reindex(small_corpus, tmp_path / "index", show_progress=False)
    manifest_path = tmp_path / "index" / first.generation / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["extraction"]  # as an index written before the rules were fingerprinted
    manifest_path.write_text(json.dumps(manifest))
    write(small_corpus, "c.md", "---\ntitle: Gamma licenses GM-3\n---\nGamma licensed GM-3 to Delta.\n")
    report = reindex(small_corpus, tmp_path / "index", show_progress=False)
    assert not report.incremental and report.chunks == 3


def test_a_changed_or_removed_document_leaves_no_trace_in_either_retriever(small_corpus, tmp_path):
    write(small_corpus, "c.md", "---\ntitle: Gamma licenses GM-3\n---\nGamma licensed GM-3 to Delta for gout.\n")
    for letter in "defghijklm":  # enough documents that two removals stay under the rebuild threshold
        write(small_corpus, f"{letter}.md", f"---\ntitle: Filler {letter}\n---\nA release about cohort {letter}.\n")
    reindex(small_corpus, tmp_path / "index", show_progress=False)
    (small_corpus / "b.md").unlink()
    write(small_corpus, "c.md", "---\ntitle: Gamma licenses GM-4\n---\nGamma licensed GM-4 to Delta for gout.\n")
    report = reindex(small_corpus, tmp_path / "index", show_progress=False)
    manifest = json.loads((tmp_path / "index" / report.generation / "manifest.json").read_text())
    assert report.incremental and (manifest["chunks"], manifest["chunk_rows"]) == (12, 14)
    searcher = Searcher(tmp_path / "index")
    for mode in ("keyword", "semantic", "hybrid"):
        found = [hit["doc_id"] for hit in searcher.search("BT-9 siRNA hypertension first patient", mode=mode)["hits"]]
        assert "b" not in found, mode
    assert searcher.search("GM-3", mode="keyword")["hits"] == []
    assert [hit["doc_id"] for hit in searcher.search("GM-4", mode="keyword")["hits"]] == ["c"]
    semantic = searcher.search("Gamma licensed GM-4 to Delta for gout", mode="semantic")["hits"]
    assert [hit["doc_id"] for hit in semantic][:1] == ["c"]


def test_when_too_much_was_removed_the_index_is_rebuilt_compact_reusing_its_vectors(small_corpus, tmp_path):
    reindex(small_corpus, tmp_path / "index", show_progress=False)
    (small_corpus / "b.md").unlink()  # half the chunks: past the share of deleted rows an index keeps
    report = reindex(small_corpus, tmp_path / "index", show_progress=False)
    manifest = json.loads((tmp_path / "index" / report.generation / "manifest.json").read_text())
    assert not report.incremental and (report.encoded, report.reused) == (0, 1)
    assert manifest["chunks"] == manifest["chunk_rows"] == 1


def test_a_running_searcher_follows_the_switch_to_a_new_generation(small_corpus, tmp_path):
    reindex(small_corpus, tmp_path / "index", show_progress=False)
    searcher = Searcher(tmp_path / "index")
    assert searcher.search("GM-3", mode="keyword")["hits"] == []
    write(small_corpus, "c.md", "---\ntitle: Gamma licenses GM-3\n---\nGamma licensed GM-3 to Delta.\n")
    reindex(small_corpus, tmp_path / "index", show_progress=False)
    assert searcher.search("GM-3", mode="keyword")["hits"][0]["doc_id"] == "c"


def test_while_one_request_opens_a_new_generation_the_others_keep_the_old_one(small_corpus, tmp_path):
    """Opening a generation can take seconds (replicas on a cluster); requests arriving
    meanwhile are answered from the open generation instead of waiting."""
    reindex(small_corpus, tmp_path / "index", show_progress=False)
    opening, release = threading.Event(), threading.Event()

    def slowly_opened(generation):
        if generation.name != "gen-0001":
            opening.set()
            release.wait(timeout=30)
        return embedded_shards(generation)

    searcher = Searcher(tmp_path / "index", slowly_opened)
    write(small_corpus, "c.md", "---\ntitle: Gamma licenses GM-3\n---\nGamma licensed GM-3 to Delta.\n")
    reindex(small_corpus, tmp_path / "index", show_progress=False)
    noticing = threading.Thread(target=searcher.search, args=("GM-3",), kwargs={"mode": "keyword"})
    noticing.start()
    assert opening.wait(timeout=30)
    assert searcher.search("GM-3", mode="keyword")["hits"] == []  # the old generation, at once
    release.set()
    noticing.join(timeout=30)
    assert searcher.search("GM-3", mode="keyword")["hits"][0]["doc_id"] == "c"


def test_a_failed_reindex_leaves_the_old_generation_serving(small_corpus, tmp_path, monkeypatch):
    first = reindex(small_corpus, tmp_path / "index", show_progress=False)

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(indexer.build, "write_keyword_index", disk_full)
    with pytest.raises(OSError):
        reindex(small_corpus, tmp_path / "index", show_progress=False)
    assert current_generation_name(tmp_path / "index") == first.generation
    assert sorted(path.name for path in (tmp_path / "index").glob("gen-*")) == [first.generation]
    assert Searcher(tmp_path / "index").search("AC-1", mode="keyword")["hits"][0]["doc_id"] == "a"


def test_an_empty_corpus_switches_nothing(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ClinsearchError, match="No readable documents"):
        reindex(tmp_path / "empty", tmp_path / "index", show_progress=False)
    assert current_generation_name(tmp_path / "index") is None


def test_old_generations_are_pruned(small_corpus, tmp_path):
    for _ in range(4):
        report = reindex(small_corpus, tmp_path / "index", show_progress=False)
    assert sorted(path.name for path in (tmp_path / "index").glob("gen-*")) == ["gen-0003", report.generation]


def test_two_reindexers_cannot_write_one_index(small_corpus, tmp_path):
    (tmp_path / "index").mkdir()
    with open(tmp_path / "index" / LOCK_FILE, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(IndexLockedError, match="Another `clinsearch reindex`"):
            reindex(small_corpus, tmp_path / "index", show_progress=False)


def test_searching_without_an_index_says_what_to_run(tmp_path):
    with pytest.raises(IndexNotFoundError, match="clinsearch reindex"):
        Searcher(tmp_path / "nothing")
