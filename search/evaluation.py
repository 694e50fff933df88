"""Measuring ranking on a judged data set in BEIR layout, with ir-measures (not home-made metrics).

A data set directory holds ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv``
(``query-id, corpus-id, score`` with a header line). Only the queries judged in the split run.
"""

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import ir_measures
from ir_measures import RR, R, nDCG

from search.errors import ClinsearchError
from search.pipeline import Searcher
from search.request import MAX_K, SearchRequest

MEASURES = {"nDCG@10": nDCG @ 10, "Recall@100": R @ 100, "MRR@10": RR @ 10}
DEPTH = MAX_K
# What each row of an evaluation runs: each retriever alone, their fusion before query
# understanding (search.understanding), and the default pipeline end to end.
STAGES = {
    "keyword": {"mode": "keyword"},
    "semantic": {"mode": "semantic"},
    "fused": {"mode": "hybrid", "interpret": False},
    "hybrid": {"mode": "hybrid"},
}


@dataclass
class Dataset:
    """A judged data set: where its corpus is, its queries, and the judgments of one split."""

    name: str
    corpus_path: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


@dataclass
class ModeResult:
    """One stage's scores over a data set, the time its queries took, and its ranked lists."""

    mode: str
    scores: dict[str, float]
    seconds: float
    run: dict[str, dict[str, float]]


def load_dataset(directory: Path, split: str = "test") -> Dataset:
    """Read a BEIR-layout data set.

    Raises:
        ClinsearchError: a file is missing, or no judged query has a text.
    """
    directory = Path(directory)
    paths = {name: directory / name for name in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv")}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        raise ClinsearchError(f"{directory} is not a BEIR data set: missing {', '.join(missing)}.")
    qrels: dict[str, dict[str, int]] = {}
    with paths[f"qrels/{split}.tsv"].open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    queries = {}
    for line in paths["queries.jsonl"].read_text(encoding="utf-8").splitlines():
        record = json.loads(line) if line.strip() else None
        if record and str(record["_id"]) in qrels:
            queries[str(record["_id"])] = record["text"]
    if not queries:
        raise ClinsearchError(f"No query of {paths['queries.jsonl']} is judged in qrels/{split}.tsv.")
    return Dataset(directory.name, paths["corpus.jsonl"], queries, {q: qrels[q] for q in queries})


def evaluate(searcher: Searcher, dataset: Dataset, mode: str, **options) -> ModeResult:
    """Run every judged query through the stage ``mode`` (of ``STAGES``, to depth 100) and
    score the ranked documents."""
    run: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for query_id, text in dataset.queries.items():
        request = SearchRequest(text, k=DEPTH, **{**options, **STAGES[mode]})
        retrieval = searcher.retrieve(request)
        doc_ids = retrieval.opened.table.doc_ids
        fused, _result_list = searcher.result_list(request, retrieval)
        run[query_id] = rank_scores([doc_ids[number] for number in fused.keys.tolist()])
    seconds = time.perf_counter() - started
    scores = ir_measures.calc_aggregate(list(MEASURES.values()), dataset.qrels, run)
    return ModeResult(mode, {name: scores[measure] for name, measure in MEASURES.items()}, seconds, run)


def rank_scores(ranking: list[str]) -> dict[str, float]:
    """Scores for ir-measures by rank, so that ties in fused scores cannot reorder documents."""
    return {doc_id: float(len(ranking) - rank) for rank, doc_id in enumerate(ranking)}


def write_trec_run(path: Path, results: list[ModeResult]) -> None:
    """A TREC run file: ``qid Q0 docid rank score tag``, one tag per mode."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for result in results:
            for query_id, documents in result.run.items():
                ranked = sorted(documents.items(), key=lambda item: -item[1])
                for rank, (doc_id, score) in enumerate(ranked, start=1):
                    handle.write(f"{query_id} Q0 {doc_id} {rank} {score:g} clinsearch-{result.mode}\n")
