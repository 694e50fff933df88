"""`clinsearch eval`: the metrics table on a tiny constructed data set, and the SciFact quality floor."""

import json

import pytest
from conftest import write

from clinsearch import main
from indexer.build import reindex
from search.evaluation import evaluate, load_dataset
from search.pipeline import Searcher

SCIFACT_FLOOR = 0.70  # nDCG@10 of hybrid search; published BM25 ≈ 0.665–0.679, dense MiniLM ≈ 0.645


@pytest.fixture()
def tiny_dataset(tmp_path):
    documents = [
        ("d1", "Zoleretinib approved for NTRK fusion tumours", "China approved the TRK inhibitor zoleretinib."),
        ("d2", "EpCAM CAR-T IMC001 cleared for trials", "The CDE cleared IMC001 for gastric cancer studies."),
        ("d3", "Vaccine for chikungunya approved in Canada", "Health Canada approved a chikungunya vaccine."),
    ]
    write(
        tmp_path, "corpus.jsonl", "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in documents)
    )
    write(
        tmp_path,
        "queries.jsonl",
        '{"_id": "q1", "text": "NTRK fusion approval"}\n'
        '{"_id": "q2", "text": "EpCAM CAR-T gastric"}\n{"_id": "q3", "text": "not judged"}\n',
    )
    write(tmp_path, "qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td2\t2\n")
    return tmp_path


def test_eval_prints_every_measure_for_every_stage_and_writes_a_run_file(runner, tiny_dataset, tmp_path):
    run_file = tmp_path / "run.trec"
    result = runner.invoke(
        main, ["eval", str(tiny_dataset), "--index", str(tmp_path / "index"), "--run-file", str(run_file)]
    )
    assert result.exit_code == 0, result.output
    assert "2 queries, 3 documents" in result.output
    rows = {
        line.split()[0]: line.split()[1:4]
        for line in result.output.splitlines()
        if line.split() and line.split()[0] in ("keyword", "semantic", "fused", "hybrid")
    }
    assert set(rows) == {"keyword", "semantic", "fused", "hybrid"}
    assert rows["hybrid"] == ["1.0000", "1.0000", "1.0000"]  # each query's one relevant document first
    first = run_file.read_text().splitlines()[0].split()
    assert first[1] == "Q0" and first[3] == "1" and first[5].startswith("clinsearch-")


def test_eval_reuses_an_up_to_date_index(runner, tiny_dataset, tmp_path):
    arguments = ["eval", str(tiny_dataset), "--index", str(tmp_path / "index"), "--mode", "keyword"]
    assert "Indexing" in runner.invoke(main, arguments).output
    assert "Indexing" not in runner.invoke(main, arguments).output


def test_eval_of_a_folder_that_is_not_a_data_set_says_what_is_missing(runner, tmp_path):
    result = runner.invoke(main, ["eval", str(tmp_path)])
    assert result.exit_code == 1 and "missing corpus.jsonl, queries.jsonl, qrels/test.tsv" in result.output


@pytest.mark.slow
def test_scifact_hybrid_quality_stays_above_the_floor(shared_dir, tmp_path_factory):
    dataset = load_dataset(shared_dir / "data" / "beir" / "scifact")
    index_dir = tmp_path_factory.mktemp("scifact-index")
    reindex(dataset.corpus_path, index_dir, show_progress=False)
    result = evaluate(Searcher(index_dir), dataset, "hybrid")
    assert result.scores["nDCG@10"] >= SCIFACT_FLOOR, result.scores
