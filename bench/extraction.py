"""Extraction against hand labels: event accuracy and drug-code / regulator precision and recall.

The labels (``bench/judged/extraction/labels.jsonl``) cover 400 GlobeNewswire releases drawn at
random, in splits labelled and first scored one after another (its README says which rules each
split saw).

    python bench/globenewswire.py /tmp/globenewswire-beir
    python bench/extraction.py /tmp/globenewswire-beir/corpus.jsonl [--json out.json] [--errors]
"""

import argparse
import json
from pathlib import Path

from extraction_quality import extract_releases, read_labels, score_extraction

from indexer.documents import load_corpus

LABELS = Path(__file__).resolve().parent / "judged" / "extraction" / "labels.jsonl"


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("corpus", type=Path, help="the corpus.jsonl written by bench/globenewswire.py")
    arguments.add_argument("--labels", type=Path, default=LABELS)
    arguments.add_argument("--json", type=Path, help="also write the scores here")
    arguments.add_argument("--errors", action="store_true", help="list the releases whose event was missed")
    options = arguments.parse_args()
    labels = read_labels(options.labels)
    documents, _ = load_corpus(options.corpus)
    wanted = {label["_id"] for label in labels}
    extracted = extract_releases([document for document in documents if document.doc_id in wanted])
    results = {}
    print(f"{'split':8} {'n':>4} {'event acc':>9} {'code P':>7} {'code R':>7} {'reg P':>6} {'reg R':>6}")
    splits = list(dict.fromkeys(label["split"] for label in labels))
    for split in (*splits, "all"):
        chosen = [label for label in labels if split in ("all", label["split"])]
        scores = score_extraction(chosen, extracted)
        results[split] = scores
        codes, regulators = scores["drug_codes"], scores["regulators"]
        print(
            f"{split:8} {scores['releases']:4} {scores['event_accuracy']:9.3f} {codes['precision']:7.3f}"
            f" {codes['recall']:7.3f} {regulators['precision']:6.3f} {regulators['recall']:6.3f}"
        )
    if options.errors:
        for release_id, expected, found in results["all"]["event_errors"]:
            title = next(document.title for document in documents if document.doc_id == release_id)
            print(f"{release_id}  labelled {expected:22} found {found:22} {title[:90]}")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
