"""How long `clinsearch reindex` takes after a small change to a large corpus.

    python bench/incremental_reindex.py CORPUS.jsonl --work DIR [--index BUILT] [--json out.json]

Copies the BEIR-layout CORPUS.jsonl (e.g. the GlobeNewswire set written by
``bench/globenewswire.py``) into DIR, indexes it once from nothing (or links ``--index BUILT``,
an index of CORPUS already built, such as the million-passage one), then times the command a
user runs, `clinsearch reindex`, as a fresh process (interpreter start and imports included),
after each of: no change, one release added, one changed, one removed; and then
`clinsearch reindex --add FILE` (the corpus not read) with one new release, and with it changed.
``--add-only`` runs just those two (at a million passages each run from the corpus takes minutes).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from measure import record, table

ROOT = Path(__file__).resolve().parent.parent
REPORT = re.compile(r"in ([\d.]+) s, (built from scratch|updated: [^(]*?) \((\d+) passages embedded")


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("corpus", type=Path)
    arguments.add_argument("--work", type=Path, required=True)
    arguments.add_argument("--index", type=Path, help="an index of CORPUS already built, linked instead of building")
    arguments.add_argument("--add-only", action="store_true", help="only the --add runs")
    arguments.add_argument("--json", type=Path)
    options = arguments.parse_args()
    corpus_dir, index_dir = options.work / "corpus", options.work / "index"
    shutil.rmtree(options.work, ignore_errors=True)
    corpus_dir.mkdir(parents=True)
    corpus_file = corpus_dir / "corpus.jsonl"
    shutil.copy(options.corpus, corpus_file)
    records = [json.loads(line) for line in corpus_file.open(encoding="utf-8")]
    if options.index:
        shutil.copytree(options.index, index_dir, copy_function=os.link)
        runs = []
    else:
        runs = [("first build", timed_reindex(corpus_dir, index_dir))]
    # A new release is dated like the newest stored ones: adding it compares it with those it could retell.
    newest = max(records, key=record_date)
    new_release = {**newest, "_id": "bench-new-1", "title": "Bench Therapeutics doses first patient with BX-101"}
    changed = {**new_release, "text": new_release["text"] + " The trial will enrol 120 patients."}
    if not options.add_only:
        runs.append(("no change", timed_reindex(corpus_dir, index_dir)))
        write_records(corpus_file, records + [new_release])
        runs.append(("one release added", timed_reindex(corpus_dir, index_dir)))
        write_records(corpus_file, records + [changed])
        runs.append(("one release changed", timed_reindex(corpus_dir, index_dir)))
        write_records(corpus_file, records)
        runs.append(("one release removed", timed_reindex(corpus_dir, index_dir)))
    added = options.work / "added.jsonl"
    write_records(added, [{**new_release, "_id": "bench-new-2"}])
    runs.append(("--add: one new release", timed_reindex(corpus_dir, index_dir, added)))
    write_records(added, [{**changed, "_id": "bench-new-2"}])
    runs.append(("--add: that release changed", timed_reindex(corpus_dir, index_dir, added)))
    print(f"{len(records)} releases in {options.corpus}")
    header = ["change", "command wall s", "reindex s", "how", "passages embedded"]
    print(table(header, [[name, *run.values()] for name, run in runs]))
    record(options.json, "incremental_reindex", {"corpus": str(options.corpus), "runs": dict(runs)})


def record_date(record: dict) -> str:
    """The record's day, at its top level or in its metadata (the GlobeNewswire corpus); "" if none."""
    return record.get("date") or (record.get("metadata") or {}).get("date") or ""


def write_records(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")


def timed_reindex(corpus_dir: Path, index_dir: Path, added: Path | None = None) -> dict:
    """Run `clinsearch reindex` as a user would (from the corpus, or ``--add`` a file); its wall
    time and what it reported."""
    command = [sys.executable, str(ROOT / "clinsearch.py"), "reindex", "--quiet", "--index", str(index_dir)]
    command += ["--add", str(added)] if added else ["--corpus", str(corpus_dir)]
    os.sync()  # the copies and runs before this one are written back first, not timed with it
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = round(time.perf_counter() - started, 2)
    seconds, how, embedded = REPORT.search(finished.stdout).groups()
    return {"wall_s": wall, "reindex_s": float(seconds), "how": how, "embedded": int(embedded)}


if __name__ == "__main__":
    main()
