"""Query latency per mode and per stage, against the limit: encode + keyword + vector alone.

    python bench/query_latency.py --index INDEX [--rounds 3] [--json out.json] [--queries FILE]

In one process: open the index once (as the server does), warm up, then run every query of
the judged GlobeNewswire set (or ``--queries``, a BEIR queries.jsonl) ``--rounds`` times in
each mode, recording the engine's own per-stage timings. In the same run, the three parts of a
hybrid query are timed alone, on the same queries: encoding the query, one Whoosh search, one
scan of the matrix. The limit of a hybrid query is their sum; the script prints how close the
whole query comes to it (``ratio``; the target is at most 1.25).
"""

import argparse
import json
import statistics
import time
from pathlib import Path

from measure import peak_rss_mb, percentiles, record, table

from search import keyword, semantic
from search.engine import Searcher
from search.query import parse

QUERIES = Path(__file__).resolve().parent / "judged" / "globenewswire" / "queries.jsonl"
MODES = ("keyword", "semantic", "hybrid")
STAGES = ("parse", "encode", "keyword", "vector", "retrieval", "fusion", "facets", "snippets", "total")
CANDIDATES = 100  # what each retriever returns for a first page (search.engine.MIN_CANDIDATES)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--index", type=Path, required=True)
    arguments.add_argument("--queries", type=Path, default=QUERIES)
    arguments.add_argument("--rounds", type=int, default=3)
    arguments.add_argument("--json", type=Path)
    options = arguments.parse_args()
    queries = [json.loads(line)["text"] for line in options.queries.open(encoding="utf-8") if line.strip()]
    started = time.perf_counter()
    searcher = Searcher(options.index)
    searcher.search("warm up the model and the index")
    opened_ms = (time.perf_counter() - started) * 1000
    for query in queries:  # one untimed pass: Whoosh and the page cache warm up
        searcher.search(query)
    alone = parts_alone(searcher, queries, options.rounds)
    modes = {mode: stage_timings(searcher, queries, mode, options.rounds) for mode in MODES}
    limit = sum(alone[part]["p50"] for part in alone)
    ratio = round(modes["hybrid"]["total"]["p50"] / limit, 3)
    manifest = searcher.manifest
    print(f"{manifest['documents']} documents, {manifest['chunks']} passages, model {manifest['model']}; ", end="")
    print(f"{len(queries)} queries × {options.rounds} rounds; index opened in {opened_ms:.0f} ms")
    print(table(["part alone", "p50 ms", "p95 ms"], [[part, v["p50"], v["p95"]] for part, v in alone.items()]))
    print()
    rows = [[mode] + [_cell(modes[mode].get(stage)) for stage in STAGES] for mode in MODES]
    print(table(["mode (p50 / p95 ms)", *STAGES], rows))
    print(f"\nhybrid p50 {modes['hybrid']['total']['p50']} ms / (encode + keyword + vector alone) {limit:.2f} ms")
    print(f"= {ratio} (target ≤ 1.25); peak RSS {peak_rss_mb()} MB")
    results = {"index": manifest, "queries": len(queries), "rounds": options.rounds, "alone": alone}
    results |= {"modes": modes, "limit_ms": round(limit, 2), "ratio": ratio, "peak_rss_mb": peak_rss_mb()}
    results["index"] = {key: manifest[key] for key in ("documents", "chunks", "model")}
    record(options.json, "query_latency", results)


def parts_alone(searcher: Searcher, queries: list[str], rounds: int) -> dict[str, dict]:
    """p50/p95 of encoding a query, one keyword search and one matrix scan, each timed alone."""
    opened = searcher._current()
    times: dict[str, list[float]] = {"encode": [], "keyword": [], "vector": []}
    for _ in range(rounds):
        for query in queries:
            parsed = parse(query, opened.schema, opened.aliases)
            started = time.perf_counter()
            vector = opened.encoder.encode([parsed.semantic_text])[0]
            times["encode"].append(_since(started))
            started = time.perf_counter()
            with opened.keyword_searcher() as searcher:
                keyword.keyword_search(searcher, parsed, CANDIDATES)
            times["keyword"].append(_since(started))
            started = time.perf_counter()
            semantic.semantic_search(opened.vectors, vector, CANDIDATES, opened.facets.live)
            times["vector"].append(_since(started))
    return {part: percentiles(values) for part, values in times.items()}


def stage_timings(searcher: Searcher, queries: list[str], mode: str, rounds: int) -> dict[str, dict]:
    """p50/p95 of each stage the engine reports, over every query and round in ``mode``."""
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for query in queries:
            for stage, elapsed in searcher.search(query, mode=mode)["timing"].items():
                times.setdefault(stage.removesuffix("_ms"), []).append(elapsed)
    return {
        stage: percentiles(values) | {"mean": round(statistics.fmean(values), 2)} for stage, values in times.items()
    }


def _cell(value: dict | None) -> str:
    return "–" if value is None else f"{value['p50']} / {value['p95']}"


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
