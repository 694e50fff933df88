"""Near-duplicate grouping against hand-checked pairs: precision and recall over pairs.

The truth (``bench/judged/duplicates/groups.jsonl``) is 95 groups of GlobeNewswire releases that
carry the same news — re-published (48) or translated (47) — found and read by hand; see the
README there. A predicted pair is right when both releases are in one true group.

    python bench/globenewswire.py /tmp/globenewswire-beir
    python bench/duplicates.py /tmp/globenewswire-beir/corpus.jsonl [--json out.json]
"""

import argparse
import json
import time
from itertools import combinations
from pathlib import Path

from indexer.documents import load_corpus
from indexer.duplicates import duplicate_groups

TRUTH = Path(__file__).resolve().parent / "judged" / "duplicates" / "groups.jsonl"


def pairs_of(groups: list[list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted(pair)) for group in groups for pair in combinations(group, 2)}


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("corpus", type=Path, help="the corpus.jsonl written by bench/globenewswire.py")
    arguments.add_argument("--truth", type=Path, default=TRUTH)
    arguments.add_argument("--json", type=Path, help="also write the scores here")
    options = arguments.parse_args()
    documents, _ = load_corpus(options.corpus)
    truth_groups = [json.loads(line) for line in options.truth.read_text().splitlines() if line.strip()]
    truth = pairs_of([group["ids"] for group in truth_groups])
    kind_of = {tuple(sorted(pair)): group["kind"] for group in truth_groups for pair in pairs_of([group["ids"]])}

    started = time.perf_counter()
    groups = duplicate_groups(documents)
    seconds = time.perf_counter() - started

    members: dict[str, list[str]] = {}
    for doc_id, group in groups.items():
        members.setdefault(group, []).append(doc_id)
    predicted = pairs_of(list(members.values()))
    right = predicted & truth
    scores = {
        "documents": len(documents),
        "true_pairs": len(truth),
        "predicted_pairs": len(predicted),
        "precision": len(right) / len(predicted) if predicted else 1.0,
        "recall": len(right) / len(truth) if truth else 1.0,
        "recall_by_kind": {
            kind: sum(1 for pair in right if kind_of[pair] == kind) / sum(1 for k in kind_of.values() if k == kind)
            for kind in sorted(set(kind_of.values()))
        },
        "seconds": round(seconds, 2),
        "false_pairs": sorted(predicted - truth),
        "missed_pairs": sorted(truth - predicted),
    }
    print(f"{len(documents)} releases, {len(truth)} true pairs, {len(predicted)} predicted in {seconds:.2f} s")
    print(f"precision {scores['precision']:.3f}  recall {scores['recall']:.3f}  by kind {scores['recall_by_kind']}")
    if options.json:
        options.json.write_text(json.dumps(scores, indent=2))


if __name__ == "__main__":
    main()
