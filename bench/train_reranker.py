"""A learned second stage, tried: LightGBM LambdaRank re-ordering the fused list's first
documents over features the pipeline already has, measured against the fused order.

The product does not re-rank: on our GlobeNewswire judgments the learned order never beat the
fused order with query understanding, cross-validated on the dev split nor on the test split,
and on SciFact its gains on the training claims did not carry to the test claims (BENCHMARKS.md,
"A learned second stage"). This script keeps the experiment reproducible for the next attempt.

For each training query the default pipeline runs (hybrid, with query understanding); the
fused list's first ``--depth`` documents give a feature row each (``FEATURES``) and their judged
grade (0 where unjudged) the label. The trees start from ``--prior`` × the fused score, so they
learn corrections to the fused order. Settings are chosen by cross-validation over queries
(grouped folds), measured as nDCG@10 with ir-measures; ``--held-out`` then trains on every
training query with the chosen settings and measures a held-out split.

    python bench/globenewswire.py /tmp/globenewswire-beir
    clinsearch reindex --corpus /tmp/globenewswire-beir/corpus.jsonl --index /tmp/gnw-index
    python bench/train_reranker.py --data /tmp/globenewswire-beir dev /tmp/gnw-index \\
        [--data ../shared/data/beir/scifact train /tmp/scifact-index] \\
        [--held-out /tmp/globenewswire-beir test /tmp/gnw-index]

Needs LightGBM, a development dependency only (``make setup`` installs it); scikit-learn comes
with sentence-transformers.
"""

import argparse
import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path

import ir_measures
import lightgbm
import numpy as np
from ir_measures import nDCG
from sklearn.model_selection import GroupKFold

from search.evaluation import load_dataset, rank_scores
from search.facets import value_key
from search.fusion import Fused, Ranked, best_per_document
from search.intent import MATERIAL_EVENTS
from search.pipeline import Retrieval, Searcher
from search.query import KEYWORD_FIELD, Clause, Phrase, Term, without_unmatched
from search.request import SearchRequest
from search.understanding import Interpretation, entities_held, holding

DEPTH = 100  # documents of the fused list a query gives
ABSENT_RANK = 1000  # the rank a document missing from one retriever's list is given
PRIOR = 10.0
FOLDS = 5
# Small trees and few of them: a hundred or so judged queries cannot support more.
GRID = {"num_leaves": (2, 4, 8), "num_iterations": (100, 300, 600), "min_data_in_leaf": (50, 200)}
FIXED = {
    "objective": "lambdarank",
    "learning_rate": 0.05,
    "feature_fraction": 0.8,
    "lambdarank_truncation_level": 20,
    "verbose": -1,
    "num_threads": 2,
    "seed": 19,
    "deterministic": True,
}

FEATURES = (
    "fused_score",  # the fused (boosted) score over the list's best
    "fused_rank",  # log of the place in the fused list
    "keyword_score",  # BM25F over the list's best; 0 when only semantic found it
    "keyword_rank",  # log of its keyword rank (ABSENT_RANK when absent)
    "semantic_score",  # the cosine
    "semantic_gap",  # the cosine below the list's best
    "semantic_rank",
    "title_score",  # the query's BM25F on the document's title alone, over the list's best
    "keyword_passages",  # log of how many of the document's passages the keyword side found
    "semantic_passages",  # … the semantic side found
    "entities_matched",  # share of the entities the query names that the document holds (NaN: none named)
    "event_matched",  # the document announces the asked event (NaN: none asked)
    "designation_matched",  # … the asked kind of designation
    "place_matched",  # … names the asked region's regulator, or the deal covers the asked territory
    "material",  # the document's event is news about a programme (search.intent.MATERIAL_EVENTS)
    "versions",  # log of how many versions of the news the collection holds
    "recency",  # the document's date's place among the collection's dates, 0–1
    "query_words",  # how long the query is
)


@dataclass
class Query:
    """One judged query: its data set, id, the fused list's top documents, their features and grades."""

    dataset: str
    query_id: str
    doc_ids: list[str]
    matrix: np.ndarray
    grades: np.ndarray


def judged_queries(data_dir: Path, split: str, index_dir: Path, depth: int) -> tuple[list[Query], dict]:
    """The feature rows and grades of every judged query of a split, and its qrels."""
    dataset = load_dataset(data_dir, split)
    searcher = Searcher(index_dir)
    queries = []
    for query_id, text in dataset.queries.items():
        request = SearchRequest(text, k=100, mode="hybrid")
        retrieval = searcher.retrieve(request)
        fused, _ = searcher.result_list(request, retrieval)
        table = retrieval.opened.table
        titles = best_per_document(title_hits(retrieval, request), table.chunk_document)
        matrix = features(retrieval, fused, titles, request.query, depth)
        doc_ids = [table.doc_ids[key] for key in fused.keys[: len(matrix)].tolist()]
        judged = dataset.qrels[query_id]
        grades = np.array([judged.get(doc_id, 0) for doc_id in doc_ids], dtype=float)
        queries.append(Query(dataset.name, query_id, doc_ids, matrix, grades))
    return queries, {f"{dataset.name}/{query}": judged for query, judged in dataset.qrels.items()}


def title_hits(retrieval: Retrieval, request: SearchRequest) -> Ranked:
    """The query's keyword scores on titles alone, through the shard seam."""
    title = in_title(retrieval.parsed.keyword)
    if title is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    shard = retrieval.opened.shard
    statistics = shard.keyword_statistics([title])
    scoring = dataclasses.replace(retrieval.parsed, keyword=without_unmatched(title, statistics.matching))
    return shard.keyword_search(scoring, statistics, request.filters, None).ranked


def in_title(clause: Clause | None) -> Clause | None:
    """``clause`` searching the title alone where it searches ``KEYWORD_FIELD`` (title and passage)."""
    if clause is None or isinstance(clause, Term | Phrase):
        return dataclasses.replace(clause, field="title") if clause and clause.field == KEYWORD_FIELD else clause
    return dataclasses.replace(clause, clauses=tuple(in_title(part) for part in clause.clauses))


def features(retrieval, fused: Fused, titles: Ranked, query: str, depth: int) -> np.ndarray:
    """The ``FEATURES`` of ``fused``'s first ``depth`` documents (keyed by document number in
    the table of ``retrieval``), a row each; ``titles``: the documents' title scores."""
    table, interpretation = retrieval.opened.table, retrieval.interpretation
    top = fused.taken(slice(0, depth))
    keys, count = top.keys, len(top)
    if not count:
        return np.zeros((0, len(FEATURES)))
    keyword_found, semantic_found = top.keyword_ranks > 0, top.semantic_ranks > 0
    keyword_best = np.nanmax(top.keyword_scores) if keyword_found.any() else 1.0
    semantic_scores = np.where(semantic_found, top.semantic_scores, 0.0)
    semantic_best = semantic_scores.max() if semantic_found.any() else 0.0
    columns = {
        "fused_score": top.scores / (top.scores[0] or 1.0),
        "fused_rank": np.log1p(np.arange(count)),
        "keyword_score": np.where(keyword_found, top.keyword_scores / (keyword_best or 1.0), 0.0),
        "keyword_rank": np.log(np.where(keyword_found, top.keyword_ranks, ABSENT_RANK)),
        "semantic_score": semantic_scores,
        "semantic_gap": np.where(semantic_found, semantic_best - semantic_scores, 1.0),
        "semantic_rank": np.log(np.where(semantic_found, top.semantic_ranks, ABSENT_RANK)),
        "title_score": _title_scores(keys, titles),
        "keyword_passages": np.log1p(_passages(retrieval.keyword, table)[keys]),
        "semantic_passages": np.log1p(_passages(retrieval.semantic, table)[keys]),
        "entities_matched": _share_named(keys, interpretation, table),
        **_asked_matches(keys, interpretation, table),
        "material": np.isin(keys, _material_documents(table)).astype(float),
        "versions": np.log(_group_sizes(table)[table.group_numbers[keys]]),
        "recency": table.date_order[keys] / max(int(table.date_order.max(initial=0)), 1),
        "query_words": np.full(count, float(len(query.split()))),
    }
    return np.column_stack([columns[name] for name in FEATURES])


def _title_scores(keys: np.ndarray, titles: Ranked) -> np.ndarray:
    """Each document's title score over the best of them; 0 where its title matches nothing."""
    documents, scores = titles
    if not len(documents):
        return np.zeros(len(keys))
    by_document = np.argsort(documents)
    place = np.searchsorted(documents, keys, sorter=by_document).clip(max=len(documents) - 1)
    found = documents[by_document[place]] == keys
    return np.where(found, scores[by_document[place]] / (scores.max() or 1.0), 0.0)


def _passages(chunks: Ranked, table) -> np.ndarray:
    """Document number → how many of its passages ``chunks`` holds."""
    return np.bincount(table.chunk_document[chunks[0]], minlength=len(table.doc_ids))


def _share_named(keys: np.ndarray, interpretation: Interpretation, table) -> np.ndarray:
    if not interpretation.entities:
        return np.full(len(keys), np.nan)
    return entities_held(keys, interpretation, table.documents_naming) / len(interpretation.entities)


_ASKED_FEATURES = {
    "event": "event_matched",
    "designations": "designation_matched",
    "regulators": "place_matched",
    "territories": "place_matched",
}


def _asked_matches(keys: np.ndarray, interpretation: Interpretation, table) -> dict[str, np.ndarray]:
    """1 where a document holds what the query asks of that kind, 0 where not, NaN where the
    query asks nothing of it."""
    columns = {name: np.full(len(keys), np.nan) for name in dict.fromkeys(_ASKED_FEATURES.values())}
    for item in interpretation.asked:
        held = holding(keys, item, table.documents_naming)
        column = columns[_ASKED_FEATURES[item.kind]]
        columns[_ASKED_FEATURES[item.kind]] = np.where(np.isnan(column), held, np.maximum(column, held))
    return columns


def _material_documents(table) -> list[int]:
    """The numbers of the documents whose event is one of ``MATERIAL_EVENTS``."""
    return [number for event in MATERIAL_EVENTS for number in table.keys["event"].get(value_key(event), [])]


def _group_sizes(table) -> np.ndarray:
    """Group number → how many documents the group holds."""
    return np.bincount(table.group_numbers)


def prior_scores(matrix: np.ndarray, prior: float) -> np.ndarray:
    """What the trees start from: the fused scores, scaled by ``prior``."""
    return prior * matrix[:, FEATURES.index("fused_score")]


def fit(queries: list[Query], settings: dict, prior: float) -> lightgbm.Booster:
    # Each data set weighs as much as the others, by the square root of how many queries the
    # largest has over its own: our analyst queries against SciFact's 809 claims.
    counts = {name: sum(query.dataset == name for query in queries) for name in {query.dataset for query in queries}}
    weights = [np.full(len(query.grades), (max(counts.values()) / counts[query.dataset]) ** 0.5) for query in queries]
    data = lightgbm.Dataset(
        np.vstack([query.matrix for query in queries]),
        np.concatenate([query.grades for query in queries]),
        weight=np.concatenate(weights),
        init_score=np.concatenate([prior_scores(query.matrix, prior) for query in queries]),
        group=[len(query.grades) for query in queries],
        feature_name=list(FEATURES),
        free_raw_data=False,
    )
    return lightgbm.train({**FIXED, **settings}, data)


def ndcg_at_10(queries: list[Query], qrels: dict, scorer) -> dict[str, float]:
    """nDCG@10 per data set of each query's list ordered by ``scorer(matrix)`` (None: fused order)."""
    by_dataset: dict[str, dict] = {}
    for query in queries:
        order = np.arange(len(query.doc_ids)) if scorer is None else np.argsort(-scorer(query.matrix), kind="stable")
        ranking = [query.doc_ids[position] for position in order]
        by_dataset.setdefault(query.dataset, {})[f"{query.dataset}/{query.query_id}"] = rank_scores(ranking)
    return {
        name: ir_measures.calc_aggregate([nDCG @ 10], {q: qrels[q] for q in run}, run)[nDCG @ 10]
        for name, run in by_dataset.items()
    }


def learned_scorer(booster: lightgbm.Booster, prior: float):
    return lambda matrix: prior_scores(matrix, prior) + booster.predict(matrix)


def cross_validated(queries: list[Query], qrels: dict, settings: dict | None, prior: float) -> dict[str, float]:
    """Mean out-of-fold nDCG@10 per data set (``settings`` None: the fused order)."""
    groups = [f"{query.dataset}/{query.query_id}" for query in queries]
    scores: dict[str, list[float]] = {}
    for train, held in GroupKFold(n_splits=FOLDS).split(queries, groups=groups):
        held_out = [queries[position] for position in held]
        scorer = None
        if settings is not None:
            scorer = learned_scorer(fit([queries[position] for position in train], settings, prior), prior)
        for name, value in ndcg_at_10(held_out, qrels, scorer).items():
            scores.setdefault(name, []).append(value)
    return {name: float(np.mean(values)) for name, values in scores.items()}


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    triple = {"nargs": 3, "metavar": ("DATASET", "SPLIT", "INDEX")}
    arguments.add_argument("--data", action="append", required=True, **triple, help="training queries")
    arguments.add_argument("--held-out", action="append", default=[], **triple, help="queries to measure on")
    arguments.add_argument("--prior", type=float, default=PRIOR, help="the fused score's weight the trees start from")
    arguments.add_argument("--depth", type=int, default=DEPTH, help="how many fused documents a query gives")
    options = arguments.parse_args()
    queries, qrels = [], {}
    for data_dir, split, index_dir in options.data:
        found, judged = judged_queries(Path(data_dir), split, Path(index_dir), options.depth)
        queries += found
        qrels.update(judged)
        print(f"{data_dir} {split}: {len(found)} queries, {sum(len(query.grades) for query in found)} rows")
    names = sorted({query.dataset for query in queries})
    print(f"{'cross-validated nDCG@10':60} " + " ".join(f"{name:>14}" for name in names))
    results = [("fused order", None, cross_validated(queries, qrels, None, options.prior))]
    for values in itertools.product(*GRID.values()):
        settings = dict(zip(GRID, values, strict=True))
        results.append((str(settings), settings, cross_validated(queries, qrels, settings, options.prior)))
    for label, _settings, scores in results:
        print(f"{label:60} " + " ".join(f"{scores[name]:14.4f}" for name in names))
    # The settings whose worst data set does best: a gain on one set must not cost another.
    label, settings, _scores = max(results[1:], key=lambda result: min(result[2].values()))
    print(f"chosen: {label}")
    scorer = learned_scorer(fit(queries, settings, options.prior), options.prior)
    for data_dir, split, index_dir in options.held_out:
        held, judged = judged_queries(Path(data_dir), split, Path(index_dir), options.depth)
        fused, learned = ndcg_at_10(held, judged, None), ndcg_at_10(held, judged, scorer)
        for name in fused:
            print(f"held out {name} {split}: fused order {fused[name]:.4f}, learned {learned[name]:.4f}")


if __name__ == "__main__":
    main()
