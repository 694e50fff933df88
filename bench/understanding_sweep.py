"""How much to boost documents about the entities a query names: hybrid nDCG@10 per boost.

python bench/understanding_sweep.py /tmp/globenewswire-beir --index /tmp/gnw-index
"""

import argparse
from pathlib import Path

from search import understanding
from search.evaluation import evaluate, load_dataset
from search.pipeline import Searcher

BOOSTS = (0.0, 0.1, 0.2, 0.3, 0.5)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("dataset", type=Path)
    arguments.add_argument("--index", type=Path, required=True, help="an index of the data set's corpus")
    options = arguments.parse_args()
    data, searcher = load_dataset(options.dataset), Searcher(options.index)
    print(f"{'boost':>6}{'nDCG@10':>9}{'R@100':>8}{'MRR@10':>8}")
    for boost in BOOSTS:
        understanding.BOOST = boost
        scores = evaluate(searcher, data, "hybrid").scores
        print(f"{boost:6.2f}{scores['nDCG@10']:9.4f}{scores['Recall@100']:8.4f}{scores['MRR@10']:8.4f}")


if __name__ == "__main__":
    main()
