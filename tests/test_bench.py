"""The benchmark scripts in their quick mode: they run, report every figure they promise, and
what they check that is not a timing (no failed request at 16 clients, an added release only
embedding its own passage) holds. Their timings are read by people, never asserted here."""

import json
import subprocess
import sys

from conftest import CORPUS, ROOT

from indexer.documents import load_corpus


def run_bench(script: str, *arguments) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / "bench" / script), *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_query_latency_reports_every_stage_of_every_mode(index_dir, tmp_path):
    finished = run_bench("query_latency.py", "--index", index_dir, "--rounds", 1, "--json", tmp_path / "q.json")
    assert finished.returncode == 0, finished.stderr
    results = json.loads((tmp_path / "q.json").read_text())
    assert set(results["alone"]) == {"encode", "keyword", "vector"}
    assert {"parse", "encode", "keyword", "vector", "fusion", "facets", "snippets", "total"} <= set(
        results["modes"]["hybrid"]
    )
    assert results["ratio"] > 0 and results["machine"]["cpus"] >= 1


def test_index_throughput_compares_a_reindex_with_raw_encoding(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(CORPUS.glob("*.md"))[:12]:
        (corpus / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    finished = run_bench("index_throughput.py", corpus, "--json", tmp_path / "i.json")
    assert finished.returncode == 0, finished.stderr
    results = json.loads((tmp_path / "i.json").read_text())
    assert results["documents"] == 12 and results["chunks"] >= 12
    assert results["raw_encode_chunks_per_s"] > 0 and results["index_chunks_per_s"] > 0


def test_an_added_release_is_indexed_by_extending_the_index(tmp_path):
    documents, _ = load_corpus(CORPUS)
    lines = [json.dumps({"_id": d.doc_id, "title": d.title, "text": d.body, "date": d.date}) for d in documents[:30]]
    (tmp_path / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "r.json"
    finished = run_bench(
        "incremental_reindex.py", tmp_path / "corpus.jsonl", "--work", tmp_path / "work", "--json", out
    )
    assert finished.returncode == 0, finished.stderr
    runs = json.loads(out.read_text())["runs"]
    assert runs["first build"]["how"] == "built from scratch"
    assert runs["no change"]["embedded"] == 0
    added = runs["one release added"]
    assert added["how"].startswith("updated: 1 new or changed") and added["embedded"] == 1
    assert runs["one release removed"]["how"].endswith("1 removed") and runs["one release removed"]["embedded"] == 0


def test_the_server_answers_16_concurrent_clients_without_an_error(index_dir, tmp_path):
    finished = run_bench(
        "server_load.py", "--index", index_dir, "--clients", "1,4,16", "--seconds", 3, "--json", tmp_path / "s.json"
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    levels = json.loads((tmp_path / "s.json").read_text())["levels"]
    assert [level["clients"] for level in levels] == [1, 4, 16]
    assert all(level["errors"] == 0 and level["requests"] > 0 for level in levels)
