"""Sweep fusion settings on judged data sets: each retriever runs once per query, fusions are replayed.

    python bench/fusion_sweep.py DATASET_DIR INDEX_DIR [DATASET_DIR INDEX_DIR ...] [--json OUT]
        [--bm25 K1,B] [--no-aliases]

Prints nDCG@10 for keyword-only, semantic-only, RRF at several k and the min-max convex
combination at several keyword weights alpha, per data set and averaged, so the default fusion
can be chosen by measurement. The indexes must exist (``clinsearch eval`` builds them).
"""

import argparse
import json
import statistics
from pathlib import Path

import ir_measures

from search.embedded import keyword
from search.evaluation import MEASURES, load_dataset, rank_scores
from search.fusion import EMPTY, best_per_document, convex_combination, reciprocal_rank_fusion, single_list
from search.pipeline import Searcher
from search.request import MAX_K, SearchRequest

RRF_KS = (5, 10, 20, 40, 60)
ALPHAS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def fusions():
    """Every setting tried, as (name, function of the keyword and semantic lists)."""
    yield "keyword only", lambda kw, se, words: single_list(kw, EMPTY)
    yield "semantic only", lambda kw, se, words: single_list(EMPTY, se)
    for k in RRF_KS:
        yield f"rrf k={k}", lambda kw, se, words, k=k: reciprocal_rank_fusion(kw, se, k)
    for alpha in ALPHAS:
        yield f"convex alpha={alpha}", lambda kw, se, words, alpha=alpha: convex_combination(kw, se, alpha)
    for short, long in ((0.7, 0.5), (0.7, 0.45), (0.75, 0.5), (0.65, 0.5)):
        for limit in (4, 6):
            yield (
                f"convex {short}/{long} @{limit}w",
                lambda kw, se, words, a=short, b=long, n=limit: convex_combination(kw, se, a if words <= n else b),
            )


def sweep(dataset_dir: Path, index_dir: Path, aliases: bool) -> dict[str, float]:
    dataset = load_dataset(dataset_dir)
    searcher = Searcher(index_dir)
    retrieved = {}
    for query_id, text in dataset.queries.items():
        retrieval = searcher.retrieve(SearchRequest(text, k=MAX_K, mode="hybrid", aliases=aliases))
        table = retrieval.opened.table
        retrieved[query_id] = (
            best_per_document(retrieval.keyword, table.chunk_document),
            best_per_document(retrieval.semantic, table.chunk_document),
            len(text.split()),
            table.doc_ids,
        )
    scores = {}
    for name, fuse in fusions():
        run = {
            query_id: rank_scores([doc_ids[number] for number in fuse(kw, se, words).keys[:MAX_K].tolist()])
            for query_id, (kw, se, words, doc_ids) in retrieved.items()
        }
        scores[name] = ir_measures.calc_aggregate([MEASURES["nDCG@10"]], dataset.qrels, run)[MEASURES["nDCG@10"]]
    return scores


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("pairs", nargs="+", type=Path, help="DATASET_DIR INDEX_DIR, repeated")
    arguments.add_argument("--json", type=Path)
    arguments.add_argument("--bm25", help="k1,b for BM25F (default: the product's)")
    arguments.add_argument("--no-aliases", action="store_true")
    options = arguments.parse_args()
    if options.bm25:
        keyword.K1, keyword.B = (float(value) for value in options.bm25.split(","))
    results = {}
    for dataset_dir, index_dir in zip(options.pairs[::2], options.pairs[1::2], strict=True):
        results[dataset_dir.name] = sweep(dataset_dir, index_dir, not options.no_aliases)
    names = list(next(iter(results.values())))
    print(f"{'nDCG@10':<22}" + "".join(f"{name[:22]:>24}" for name in results) + f"{'mean':>10}")
    for name in names:
        values = [results[dataset][name] for dataset in results]
        print(f"{name:<22}" + "".join(f"{value:>24.4f}" for value in values) + f"{statistics.mean(values):>10.4f}")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
