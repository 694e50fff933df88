"""Indexing throughput against the model's own: how close a reindex comes to raw encoding speed.

    python bench/index_throughput.py CORPUS [--rounds 1] [--json out.json] [--stand-in WORDS]
                                    [--shards N] [--ray HOST:PORT] [--index DIR] [--add]

In one process, on the same passages: the configured encoder's raw ``encode`` throughput
(passages per second, longest first in batches, as the indexer feeds it), then a whole reindex
from nothing into a temporary directory (loading, cleaning, entities, chunking, duplicates,
Whoosh, vectors, store), as passages per second of wall time. The model is loaded before
either is timed. ``ratio`` is index / raw (the target is at least 0.85).

``--stand-in WORDS`` replaces the passages' vectors with the model's vectors of their first
WORDS words, for corpora too large to embed here (the 200k-passage scale run); the output says
so, and raw and index throughput then measure the stand-in. Raw throughput is measured on at
most ``RAW_SAMPLE`` passages (a million passages would take most of an hour to encode twice).

``--shards N`` and ``--ray HOST:PORT`` build as ``clinsearch reindex --shards N --ray`` does: the
way past one process's memory and one core (the million-passage run: 4 shards, written two at a
time by the tasks of a one-node, two-CPU cluster). ``--add`` adds CORPUS's documents to the
index already at ``--index`` (``reindex --add``) instead, and times that.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from measure import peak_rss_mb, record, table

from indexer.additions import add_documents
from indexer.build import chunk_rows, reindex
from indexer.documents import load_corpus
from indexer.vectors import BATCH_SIZE
from search.encoder import Encoder, configured_backend, configured_model_name, get_encoder

RAW_SAMPLE = 20_000


class FirstWordsEncoder(Encoder):
    """A stand-in for the scale run: the real model over each text's first few words only.

    Its vectors are real vectors of the same model (so queries find plausible neighbours and
    the index accepts them) at a fraction of the cost; they are not the passages' vectors.
    Sent to a Ray task it goes without its model and loads it there, on one thread (a task has
    one CPU)."""

    def __init__(self, model: Encoder, words: int, encoders_dir: Path):
        super().__init__()
        self.model, self.words, self.encoders_dir = model, words, encoders_dir
        self.model_name, self.dimension = model.model_name, model.dimension

    def __getstate__(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if name not in ("model", "_lock")}

    def __setstate__(self, state: dict) -> None:
        super().__init__()
        self.__dict__.update(state, model=None)

    def _encode(self, texts: list[str]):
        if self.model is None:
            self.model = get_encoder(self.model_name, self.encoders_dir, threads=1)
        return self.model.encode([" ".join(text.split()[: self.words]) for text in texts])


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("corpus", type=Path)
    arguments.add_argument("--rounds", type=int, default=1)
    arguments.add_argument("--stand-in", type=int, metavar="WORDS", help="embed only each passage's first WORDS words")
    arguments.add_argument("--index", type=Path, help="build here and keep it [default: a temporary directory]")
    arguments.add_argument("--shards", type=int)
    arguments.add_argument("--ray", metavar="HOST:PORT", help="write the shards as tasks on this Ray cluster")
    arguments.add_argument("--add", action="store_true", help="add CORPUS to the index at --index instead")
    arguments.add_argument("--json", type=Path)
    options = arguments.parse_args()
    with tempfile.TemporaryDirectory(prefix="clinsearch-bench-") as scratch:
        encoder = get_encoder(configured_model_name(), Path(scratch) / "encoders")
        if options.stand_in:
            encoder = FirstWordsEncoder(encoder, options.stand_in, Path(scratch) / "encoders")
        if options.add:
            timed_addition(options, encoder)
            return
        documents, _ = load_corpus(options.corpus)
        texts = [row.embedded_text for row in chunk_rows(documents, first_id=0)]
        encoder.encode(texts[:BATCH_SIZE])  # warm-up
        document_count, passage_count, texts = len(documents), len(texts), texts[:RAW_SAMPLE]
        del documents  # the reindex reads the corpus again: at a million passages it is gigabytes
        raw, index, stages = [], [], []
        for number in range(options.rounds):
            raw.append(len(texts) / encode_seconds(encoder, texts))
            target = (
                options.index if options.index and number == options.rounds - 1 else Path(scratch) / f"index-{number}"
            )
            report = reindex(options.corpus, target, False, encoder, shards=options.shards, ray_address=options.ray)
            index.append(report.chunks / report.seconds)
            stages.append(report.seconds)
    results = {
        "corpus": str(options.corpus),
        "documents": document_count,
        "chunks": passage_count,
        "encoder": f"{configured_backend()} {encoder.model_name}",
        "shards": options.shards or 1,
        "ray": options.ray,
        "stand_in": f"model over the first {options.stand_in} words" if options.stand_in else None,
        "raw_encode_chunks_per_s": round(statistics.median(raw), 1),
        "index_chunks_per_s": round(statistics.median(index), 1),
        "index_seconds": round(statistics.median(stages), 1),
        "ratio": round(statistics.median(index) / statistics.median(raw), 3),
        "peak_rss_mb": peak_rss_mb(),
    }
    header = ["corpus", "documents", "passages", "encoder", "raw encode /s", "index /s", "index s", "ratio", "peak MB"]
    row = [options.corpus.name, document_count, passage_count, results["encoder"]]
    row += [results[key] for key in ("raw_encode_chunks_per_s", "index_chunks_per_s", "index_seconds", "ratio")]
    print(table(header, [row + [results["peak_rss_mb"]]]))
    if options.stand_in:
        print(f"(vectors from a stand-in: {results['stand_in']})")
    record(options.json, "index_throughput", results)


def timed_addition(options: argparse.Namespace, encoder: Encoder) -> None:
    report = add_documents(options.corpus, options.index, False, encoder)
    added = report.encoded + report.reused
    print(
        f"Added {report.changed:,} documents ({added:,} passages) in {report.seconds:.1f} s, "
        f"{added / report.seconds:.1f} passages/s; the index holds {report.chunks:,} passages in {report.shards} shards"
    )
    results = {"corpus": str(options.corpus), "documents": report.changed, "passages": added}
    results |= {"seconds": round(report.seconds, 1), "index_passages": report.chunks, "peak_rss_mb": peak_rss_mb()}
    record(options.json, "index_additions", results)


def encode_seconds(encoder: Encoder, texts: list[str]) -> float:
    """Seconds to encode ``texts`` longest first, in the indexer's batches."""
    ordered = sorted(texts, key=len, reverse=True)
    started = time.perf_counter()
    for first in range(0, len(ordered), BATCH_SIZE):
        encoder.encode(ordered[first : first + BATCH_SIZE])
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
