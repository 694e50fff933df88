"""The encoder backends side by side: passages per second, query encoding time, memory, and how
far each one's vectors are from PyTorch's.

    python bench/encoders.py CORPUS [--passages 400] [--json out.json]

Each backend (``CLINSEARCH_ENCODER`` = torch, onnx, onnx-int8) runs in a process of its own, as it
would in the product (ONNX Runtime's and PyTorch's thread pools slow each other down in one
process). Each encodes the same passages of CORPUS (their indexed text, longest first, in the
indexer's batches) and the judged GlobeNewswire queries one at a time, and saves its vectors; the
parent compares them with PyTorch's. Ranking quality is measured separately with
`clinsearch eval` (BENCHMARKS.md has both).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from measure import peak_rss_mb, percentiles, record, table

from indexer.build import chunk_rows
from indexer.documents import load_corpus
from indexer.vectors import BATCH_SIZE
from search.encoder import BACKENDS, configured_model_name, get_encoder

QUERIES = Path(__file__).resolve().parent / "judged" / "globenewswire" / "queries.jsonl"


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("corpus", type=Path)
    arguments.add_argument("--passages", type=int, default=400, help="how many passages to encode")
    arguments.add_argument("--json", type=Path)
    arguments.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # internal: measure one backend
    options = arguments.parse_args()
    if options.worker:
        measure_backend(options.corpus, options.passages, options.worker)
        return
    with tempfile.TemporaryDirectory(prefix="clinsearch-encoders-") as scratch:
        results = {backend: run_backend(backend, options, Path(scratch)) for backend in reversed(BACKENDS)}
        reference = np.load(Path(scratch) / "torch.npy")
        for backend, result in results.items():
            cosines = np.sum(np.load(Path(scratch) / f"{backend}.npy") * reference, axis=1)
            result["cosine_to_torch"] = {"mean": round(float(cosines.mean()), 5), "min": round(float(cosines.min()), 5)}
    header = ["backend", "passages/s", "query p50 ms", "query p95 ms", "cosine to torch mean / min", "peak MB"]
    rows = [
        [backend, r["passages_per_s"], r["query_ms"]["p50"], r["query_ms"]["p95"]]
        + [f"{r['cosine_to_torch']['mean']} / {r['cosine_to_torch']['min']}", r["peak_rss_mb"]]
        for backend, r in results.items()
    ]
    print(f"{results['torch']['passages']} passages of {options.corpus}, {results['torch']['queries']} queries")
    print(table(header, rows))
    record(options.json, "encoders", {"corpus": str(options.corpus), "backends": results})


def run_backend(backend: str, options, scratch: Path) -> dict:
    """Measure one backend in a child process; its figures."""
    environment = {**os.environ, "CLINSEARCH_ENCODER": backend, "HF_HUB_OFFLINE": "1"}
    environment.setdefault("CLINSEARCH_ENCODER_CACHE", str(scratch / "encoders"))
    command = [sys.executable, __file__, str(options.corpus), "--passages", str(options.passages)]
    subprocess.run(command + ["--worker", str(scratch / backend)], env=environment, check=True)
    return json.loads((scratch / f"{backend}.json").read_text())


def measure_backend(corpus: Path, passages: int, out: Path) -> None:
    """In the child: load, encode the passages and the queries, write figures and vectors."""
    documents, _ = load_corpus(corpus)
    texts = sorted((row.embedded_text for row in chunk_rows(documents, first_id=0)), key=len, reverse=True)
    texts = texts[:: max(1, len(texts) // passages)][:passages]  # every length, longest first
    queries = [json.loads(line)["text"] for line in QUERIES.open(encoding="utf-8")]
    started = time.perf_counter()
    encoder = get_encoder(configured_model_name(), out.parent / "encoders")
    load_seconds = time.perf_counter() - started
    encoder.encode(texts[:8])  # warm-up
    started = time.perf_counter()
    vectors = np.concatenate([encoder.encode(texts[i : i + BATCH_SIZE]) for i in range(0, len(texts), BATCH_SIZE)])
    seconds = time.perf_counter() - started
    query_ms = []
    for _ in range(3):
        for query in queries:
            started = time.perf_counter()
            encoder.encode([query])
            query_ms.append((time.perf_counter() - started) * 1000)
    np.save(out.with_suffix(".npy"), vectors)
    figures = {"passages": len(texts), "queries": len(queries), "passages_per_s": round(len(texts) / seconds, 1)}
    figures |= {"query_ms": percentiles(query_ms), "load_s": round(load_seconds, 2), "peak_rss_mb": peak_rss_mb()}
    out.with_suffix(".json").write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
