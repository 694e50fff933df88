"""How the semantic side's cut trades ranking against honest answers to absent things.

For each cut (``search.shards.CUT_DEVIATIONS``: standard deviations above the query's mean
cosine), and for the fixed cosine 0.25 used before, reports nDCG@10 / Recall@100 of hybrid and
semantic search on a judged data set, and, on a set of queries whose answer no document holds
(``bench/judged/absent``), the share answered honestly (no result, or a notice that says what is
missing) and the mean number of documents listed.

    python bench/semantic_cut.py INDEX DATASET [--absent bench/judged/absent/queries.jsonl]
                                 [--cuts 2 2.5 3 3.5 4] [--json out.json]
"""

import argparse
import json
import statistics
from pathlib import Path

from search import shards
from search.evaluation import evaluate, load_dataset
from search.pipeline import Searcher

ROOT = Path(__file__).resolve().parent.parent
ABSENT = ROOT / "bench" / "judged" / "absent" / "queries.jsonl"
FIXED_COSINE = 0.25  # the cut before cuts were measured per query


def honest_answers(searcher: Searcher, queries: list[str]) -> tuple[float, float]:
    """The share of ``queries`` answered with no result or a notice, and the mean total listed."""
    answers = [searcher.search(text, k=10) for text in queries]
    honest = [not answer["total"] or bool(answer["notice"]) for answer in answers]
    return sum(honest) / len(answers), statistics.mean(answer["total"] for answer in answers)


def measure(searcher: Searcher, dataset, absent: list[str]) -> dict:
    row = {}
    for mode in ("hybrid", "semantic"):
        result = evaluate(searcher, dataset, mode)
        row[mode] = {name: round(value, 4) for name, value in result.scores.items()}
    row["honest_share"], row["mean_total"] = honest_answers(searcher, absent)
    return row


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("index", type=Path)
    arguments.add_argument("dataset", type=Path)
    arguments.add_argument("--absent", type=Path, default=ABSENT)
    arguments.add_argument("--cuts", type=float, nargs="+", default=[2.0, 2.5, 3.0, 3.5, 4.0])
    arguments.add_argument("--json", type=Path)
    options = arguments.parse_args()
    searcher = Searcher(options.index)
    dataset = load_dataset(options.dataset)
    absent = [json.loads(line)["text"] for line in options.absent.read_text().splitlines() if line.strip()]
    rows = {}
    chosen, measured_cut = shards.CUT_DEVIATIONS, shards.Moments.cut
    shards.Moments.cut = lambda moments, deviations: FIXED_COSINE
    rows[f"cosine ≥ {FIXED_COSINE}"] = measure(searcher, dataset, absent)
    shards.Moments.cut = measured_cut
    for cut in options.cuts:
        shards.CUT_DEVIATIONS = cut
        rows[f"mean + {cut:g} sd"] = measure(searcher, dataset, absent)
    shards.CUT_DEVIATIONS = chosen
    print(f"{dataset.name}: {len(dataset.queries)} judged queries; {len(absent)} queries with an absent answer")
    header = f"{'cut':<16}{'hybrid nDCG@10':>15}{'R@100':>8}{'semantic nDCG@10':>18}{'R@100':>8}"
    print(f"{header}{'honest':>8}{'listed':>8}")
    for name, row in rows.items():
        hybrid, alone = row["hybrid"], row["semantic"]
        print(
            f"{name:<16}{hybrid['nDCG@10']:>15.4f}{hybrid['Recall@100']:>8.4f}{alone['nDCG@10']:>18.4f}"
            f"{alone['Recall@100']:>8.4f}{row['honest_share']:>8.0%}{row['mean_total']:>8.1f}"
        )
    if options.json:
        options.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
