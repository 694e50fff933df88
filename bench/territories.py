"""Deal territories against hand labels: precision and recall of ``entities["territories"]``.

The labels (``bench/judged/territories/labels.jsonl``) are licensing and partnership releases
from the GlobeNewswire set; the ``dev`` split was read while writing the rules, the ``heldout``
split was scored once before its errors were read. Each release is extracted as the index would
extract it (``document_entities`` on headline and summary), so a release whose event the rules
do not call ``licensing`` gets no territory.

    python bench/territories.py [--releases PATH] [--errors]
"""

import argparse
import csv
from pathlib import Path

from extraction_quality import FieldScore, read_labels

from indexer.documents import Document
from indexer.entities import document_entities

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "judged" / "territories" / "labels.jsonl"
RELEASES = ROOT.parent / "shared" / "data" / "globenewswire-biotech" / "releases.csv"
SPLITS = ("dev", "heldout", "all")


def extracted_territories(releases: Path, links: set[str]) -> dict[str, list[str]]:
    """``entities["territories"]`` of each wanted release, by its link."""
    found: dict[str, list[str]] = {}
    with releases.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            link = row["link"]
            if link in links and link not in found:  # the first row of a release listed twice
                # Headline and summary as bench/globenewswire.py writes them into its corpus.
                document = Document(link, row["title"].strip(), " ".join(row["summary"].split()), link, url=link)
                found[link] = document_entities(document)["territories"]
    return found


def score(labels: list[dict], found: dict[str, list[str]]) -> FieldScore:
    """Micro-averaged counts over ``labels``; a territory matches its label case-blind."""
    counts = FieldScore()
    for label in labels:
        counts.add(found[label["release_link"]], label["territories"], str.lower)
    return counts


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--releases", type=Path, default=RELEASES)
    arguments.add_argument("--labels", type=Path, default=LABELS)
    arguments.add_argument("--errors", action="store_true", help="list the releases whose territories differ")
    options = arguments.parse_args()
    labels = read_labels(options.labels)
    found = extracted_territories(options.releases, {label["release_link"] for label in labels})
    print(f"{'split':8} {'releases':>8} {'labelled':>8} {'found':>6} {'precision':>9} {'recall':>7}")
    for split in SPLITS:
        chosen = [label for label in labels if split in ("all", label["split"])]
        counts = score(chosen, found)
        print(
            f"{split:8} {len(chosen):8} {counts.expected:8} {counts.found:6}"
            f" {counts.precision:9.3f} {counts.recall:7.3f}"
        )
    if options.errors:
        for label in labels:
            if sorted(found[label["release_link"]]) != sorted(label["territories"]):
                print(f"\n{label['split']}: {label['title'][:100]}")
                print(f"  labelled {label['territories']}  found {found[label['release_link']]}")


if __name__ == "__main__":
    main()
