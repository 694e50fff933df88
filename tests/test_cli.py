"""The `clinsearch` command through click's runner, on the real index."""

import importlib
import json
import os
import shutil
from collections import Counter

import frontmatter
import pytest
from conftest import CORPUS, write

from clinsearch import main
from search.embedded.index_format import current_generation_name
from search.errors import ClusterUnavailableError, cluster_extra_needed


def test_search_prints_the_imc001_story_first(runner, index_dir):
    result = runner.invoke(main, ["search", "EpCAM CAR-T gastric", "--index", str(index_dir), "-k", "3"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith(" 1.") and "IMC001" in first


def test_search_json_is_the_api_answer(runner, index_dir):
    result = runner.invoke(main, ["search", "ICP-723", "--index", str(index_dir), "--json", "--mode", "keyword"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["mode"] == "keyword"
    assert answer["hits"][0]["doc_id"] == "2025-12-11-innocare-zoleretinib-nmpa-approval"


def test_search_index_defaults_to_the_environment(runner, index_dir, monkeypatch):
    monkeypatch.setenv("CLINSEARCH_INDEX", str(index_dir))
    result = runner.invoke(main, ["search", "NTRK fusion approval China", "-k", "1"])
    assert result.exit_code == 0, result.output
    assert "zoleretinib" in result.output


def test_search_without_an_index_says_what_to_run(runner, tmp_path):
    result = runner.invoke(main, ["search", "anything", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "Run `clinsearch reindex" in result.output
    assert "Traceback" not in result.output


def test_search_refuses_a_bad_k(runner, index_dir):
    result = runner.invoke(main, ["search", "x", "-k", "0", "--index", str(index_dir)])
    assert result.exit_code == 2 and "-k" in result.output


def test_reindex_reports_skipped_files_and_what_to_try_next(runner, tmp_path):
    write(tmp_path / "docs", "good.md", "---\ntitle: Acme AC-1 approved\n---\nThe FDA approved AC-1.\n")
    write(tmp_path / "docs", "bad.json", "{oops")
    result = runner.invoke(
        main, ["reindex", "--corpus", str(tmp_path / "docs"), "--index", str(tmp_path / "ix"), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "skipped bad.json" in result.output
    assert "Indexed 1 documents as 1 passages" in result.output
    assert f'Try: clinsearch search "EpCAM CAR-T gastric" --index {tmp_path / "ix"}' in result.output


def test_reindex_of_a_missing_corpus_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["reindex", "--corpus", str(tmp_path / "missing"), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_reindex_add_indexes_a_new_file_and_refuses_a_corpus_beside_it(runner, tmp_path, monkeypatch):
    docs, new, index = tmp_path / "docs", tmp_path / "new", str(tmp_path / "ix")
    write(docs, "one.md", "---\ntitle: Acme AC-1 approved\ndate: 2026-01-05\n---\nThe FDA approved AC-1.\n")
    write(new, "two.md", "---\ntitle: Acme AC-2 cleared\ndate: 2026-02-05\n---\nThe FDA cleared the AC-2 IND.\n")
    assert runner.invoke(main, ["reindex", "--corpus", str(docs), "--index", index, "--quiet"]).exit_code == 0
    both = runner.invoke(main, ["reindex", "--corpus", str(docs), "--add", str(new), "--index", index])
    assert both.exit_code == 2 and "without --corpus" in both.output
    monkeypatch.chdir(tmp_path)  # no ./corpus here: --add does not need one
    result = runner.invoke(main, ["reindex", "--add", str(new), "--index", index, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 documents as 2 passages" in result.output and "1 new or changed" in result.output
    found = runner.invoke(main, ["search", "AC-2 IND", "--mode", "keyword", "--index", index, "--json"])
    assert [hit["title"] for hit in json.loads(found.output)["hits"]] == ["Acme AC-2 cleared"]


def test_stats_counts_the_corpus_headers(runner, index_dir):
    stories = [frontmatter.load(path) for path in CORPUS.glob("*.md") if path.name != "README.md"]
    events = Counter(story.metadata.get("event") for story in stories if story.metadata.get("event"))
    result = runner.invoke(main, ["stats", "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["documents"] == len(stories)
    assert counts["facets"]["event type"] == dict(events)
    assert counts["programmes"]["IMC001"] >= 3


def test_stats_prints_the_facet_tables(runner, index_dir):
    result = runner.invoke(main, ["stats", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    for heading in ("By event type:", "By regulator:", "By modality:", "Programmes with 3 or more"):
        assert heading in result.output


def test_a_ray_address_where_no_cluster_answers_is_one_line_and_leaves_the_index(runner, index_dir, tmp_path):
    """Without the cluster extra the message names it; with it, the address answers nothing."""
    shutil.copytree(index_dir, tmp_path / "index", copy_function=os.link)
    before = current_generation_name(tmp_path / "index")
    for command in (["reindex", "--corpus", str(CORPUS), "--shards", "2"], ["serve"]):
        result = runner.invoke(main, [*command, "--index", str(tmp_path / "index"), "--ray", "127.0.0.1:1"])
        assert result.exit_code == 1, result.output
        assert "No Ray cluster answers at '127.0.0.1:1'" in result.output or "clinsearch[cluster]" in result.output
        assert "Traceback" not in result.output
    assert current_generation_name(tmp_path / "index") == before
    assert sorted(path.name for path in (tmp_path / "index").glob("gen-*")) == [before]


def test_only_a_missing_ray_is_reported_as_the_missing_cluster_extra():
    """A cluster module that fails to import for another reason (a name it imports is gone)
    says so, rather than sending the user to install what is installed."""
    with pytest.raises(ClusterUnavailableError, match=r"clinsearch\[cluster\]"), cluster_extra_needed():
        importlib.import_module("ray.no_such_module")
    with pytest.raises(ImportError, match="no_such_name"), cluster_extra_needed():
        from search.shards import no_such_name  # noqa: F401


def test_a_filter_value_no_document_has_is_named_with_the_nearest_values(runner, index_dir, client):
    """A mistyped event (the corpus's headers say ``approval``) is not a silent empty list."""
    result = runner.invoke(main, ["search", "FDA", "--event", "approvals", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("No document has event “approvals”") and "approval," in first
    answer = client.get("/api/search?q=FDA&event=approvals").get_json()
    assert answer["total"] == 0 and answer["notice"] == first
    assert client.get("/api/search?q=FDA&event=approval").get_json()["notice"] == ""
