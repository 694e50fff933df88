"""How much to boost documents about what a query names: nDCG@10 per boost of short queries
(``SHORT_BOOST``) and of long ones (``LONG_BOOST``).

python bench/understanding_sweep.py /tmp/globenewswire-beir --index /tmp/gnw-index [--split dev]

Measured on the default pipeline (hybrid, with understanding).
"""

import argparse
from pathlib import Path

from search import understanding
from search.evaluation import evaluate, load_dataset
from search.pipeline import Searcher

BOOSTS = ((0.3, 0.3), (0.8, 0.3), (1.2, 0.3), (1.6, 0.3), (2.0, 0.3))


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("dataset", type=Path)
    arguments.add_argument("--index", type=Path, required=True, help="an index of the data set's corpus")
    arguments.add_argument("--split", default="dev", help="the qrels split to measure on [default: dev]")
    options = arguments.parse_args()
    data, searcher = load_dataset(options.dataset, options.split), Searcher(options.index)
    print(f"{'short':>6}{'long':>6}{'nDCG@10':>9}{'R@100':>8}{'MRR@10':>8}")
    for short, long in BOOSTS:
        understanding.SHORT_BOOST, understanding.LONG_BOOST = short, long
        scores = evaluate(searcher, data, "hybrid").scores
        print(f"{short:6.2f}{long:6.2f}{scores['nDCG@10']:9.4f}{scores['Recall@100']:8.4f}{scores['MRR@10']:8.4f}")


if __name__ == "__main__":
    main()
