"""Assemble the GlobeNewswire releases and our judged queries into a BEIR-layout data set.

The releases stay in ``../shared/data`` (they are not ours to copy into the repository); this
writes ``corpus.jsonl`` from them into OUT_DIR, beside the judged ``queries.jsonl`` and
``qrels/`` kept in ``bench/judged/globenewswire``, so that ``clinsearch eval OUT_DIR`` can run.

    python bench/globenewswire.py /tmp/globenewswire-beir [--releases PATH]

Records take the shape BEIR corpora and many exports use, what a user would hand us: ``_id``,
``title``, ``text`` and a nested ``metadata`` object (``date`` as the wire wrote it, ``url``,
``source``, ``company``, which holds the issuer's ticker: the releases give no company names,
``topic``, ``language``). Document ids are the release numbers in the wire's URLs; a release
listed twice under the same URL is written once.
"""

import argparse
import csv
import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT.parent / "shared" / "data" / "globenewswire-biotech" / "releases.csv"
JUDGED = ROOT / "bench" / "judged" / "globenewswire"
RELEASE_NUMBER = re.compile(r"/news-release/\d{4}/\d\d/\d\d/(\d+)/")


def release_records(releases: Path):
    """One BEIR corpus record per distinct release URL."""
    seen = set()
    with releases.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            release_id = RELEASE_NUMBER.search(row["link"]).group(1)
            if release_id in seen:
                continue
            seen.add(release_id)
            yield {
                "_id": release_id,
                "title": row["title"].strip(),
                "text": " ".join(row["summary"].split()),
                "metadata": {
                    "date": row["published_eastern"],
                    "url": row["link"],
                    "source": "GlobeNewswire",
                    "company": row["ticker"],
                    "topic": row["topic"],
                    "language": row["language"] or "",
                },
            }


def write_dataset(out_dir: Path, releases: Path = RELEASES) -> int:
    """Write ``corpus.jsonl`` and our judged queries into ``out_dir``; the number of releases."""
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    with (out_dir / "corpus.jsonl").open("w", encoding="utf-8") as corpus:
        for record in release_records(releases):
            corpus.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    shutil.copy(JUDGED / "queries.jsonl", out_dir / "queries.jsonl")
    shutil.copytree(JUDGED / "qrels", out_dir / "qrels", dirs_exist_ok=True)
    return count


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("out_dir", type=Path)
    arguments.add_argument("--releases", type=Path, default=RELEASES)
    options = arguments.parse_args()
    count = write_dataset(options.out_dir, options.releases)
    print(f"Wrote {count} releases to {options.out_dir / 'corpus.jsonl'}")


if __name__ == "__main__":
    main()
