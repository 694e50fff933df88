"""Date order on the judged GlobeNewswire queries: how much of the newest ten the assessors judged
relevant (grade 1 or 2), how much of it they never judged, and how many of the judged-relevant
releases of the whole result list the date-ordered list keeps.

    python bench/date_order.py /tmp/gnw --index GNW_INDEX [--floor 0.2] [--best 10] [--json out.json]

(/tmp/gnw: the releases and judgments as a BEIR data set, written by ``bench/globenewswire.py``.)

``--floor`` and ``--best`` replace ``search.pipeline.DATE_ORDER_FLOOR`` and ``DATE_ORDER_BEST``
for a sweep (``--floor 0 --best 0``: the whole list, as before session 16).
"""

import argparse
from collections import Counter
from pathlib import Path

from measure import record, table

import search.pipeline
from search.evaluation import Dataset, load_dataset
from search.pipeline import Searcher
from search.request import SearchRequest

HEADER = ["mode", "split", "relevant in newest 10", "unjudged in newest 10", "relevant kept", "listed", "whole list"]


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("data", type=Path, help="the GlobeNewswire releases as a BEIR data set")
    arguments.add_argument("--index", type=Path, required=True)
    arguments.add_argument("--floor", type=float)
    arguments.add_argument("--best", type=int)
    arguments.add_argument("--json", type=Path)
    options = arguments.parse_args()
    if options.floor is not None:
        search.pipeline.DATE_ORDER_FLOOR = options.floor
    if options.best is not None:
        search.pipeline.DATE_ORDER_BEST = options.best
    searcher = Searcher(options.index)
    splits = {split: load_dataset(options.data, split) for split in ("dev", "test")}
    rows = [
        [mode, split, *measured(searcher, dataset, mode)]
        for mode in ("hybrid", "keyword", "semantic")
        for split, dataset in splits.items()
    ]
    print(table(HEADER, rows))
    record(options.json, "date_order", {"floor": search.pipeline.DATE_ORDER_FLOOR, "rows": rows})


def measured(searcher: Searcher, dataset: Dataset, mode: str) -> list:
    counts = Counter()
    for query_id, text in dataset.queries.items():
        judged = dataset.qrels[query_id]
        relevant = {doc_id for doc_id, grade in judged.items() if grade >= 1}
        by_date = [hit["doc_id"] for hit in searcher.all_hits(SearchRequest(text, mode=mode, sort="date"))]
        whole = {hit["doc_id"] for hit in searcher.all_hits(SearchRequest(text, mode=mode))}
        counts["shown"] += len(by_date[:10])
        counts["relevant shown"] += len(relevant.intersection(by_date[:10]))
        counts["unjudged"] += sum(1 for doc_id in by_date[:10] if doc_id not in judged)
        counts["kept"] += len(relevant.intersection(by_date))
        counts["relevant"] += len(relevant & whole)
        counts["listed"] += len(by_date)
        counts["whole"] += len(whole)
    return [
        round(counts["relevant shown"] / counts["shown"], 3),
        round(counts["unjudged"] / counts["shown"], 3),
        round(counts["kept"] / counts["relevant"], 3),
        round(counts["listed"] / len(dataset.queries)),
        round(counts["whole"] / len(dataset.queries)),
    ]


if __name__ == "__main__":
    main()
