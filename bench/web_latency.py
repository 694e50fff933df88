"""Page and API response times over HTTP against a running server: p50 and p95 per endpoint.

    clinsearch serve --port 8000 &
    python bench/web_latency.py http://localhost:8000 [--rounds 5]

Each round requests every query once from the search page, /api/search, the Atom feed and a
document page, one request at a time (latency, not throughput). The first round warms caches
and is not counted.
"""

import argparse
import json
import statistics
import time
import urllib.parse
import urllib.request

QUERIES = (
    "EpCAM CAR-T gastric",
    "NTRK fusion approval China",
    "ICP-723",
    "orphan drug designation pancreatic cancer",
    "complete response letter manufacturing",
    "gene editing hereditary angioedema",
    "partial clinical hold lifted",
    "Nectin-4 ADC cervical Fast Track",
)


def fetch(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("server")
    arguments.add_argument("--rounds", type=int, default=5)
    options = arguments.parse_args()
    base = options.server.rstrip("/")
    first = json.load(urllib.request.urlopen(f"{base}/api/search?q=CAR-T"))["hits"][0]["doc_id"]
    endpoints = {
        "page /": lambda query: f"{base}/?q={urllib.parse.quote(query)}",
        "api /api/search": lambda query: f"{base}/api/search?q={urllib.parse.quote(query)}",
        "feed /feed": lambda query: f"{base}/feed?q={urllib.parse.quote(query)}",
        "document page": lambda query: f"{base}/documents/{urllib.parse.quote(first)}?q={urllib.parse.quote(query)}",
    }
    times: dict[str, list[float]] = {name: [] for name in endpoints}
    for round_number in range(options.rounds + 1):
        for query in QUERIES:
            for name, url in endpoints.items():
                elapsed = fetch(url(query))
                if round_number:
                    times[name].append(elapsed)
    print(f"{'endpoint':<18}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}")
    for name, values in times.items():
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"{name:<18}{len(values):>5}{statistics.median(values):>9.1f}{p95:>9.1f}")


if __name__ == "__main__":
    main()
