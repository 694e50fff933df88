"""The keyword postings of a generation as numpy arrays: what BM25F needs, read without Whoosh.

Written at index time from the Whoosh index (``indexer.keyword.write_postings``), one set of
files per scored field, in the generation's ``postings/`` directory::

    postings/
      statistics.json       chunk rows (Whoosh's document count, deleted ones included) and
                            each field's total length: BM25's N and average length
      text.terms.json       the field's terms, sorted
      text.documents.npy    int64, per term: its document frequency as Whoosh counts it
      text.starts.npy       int64, per term and one more: where its postings start in
      text.chunks.npy       int32, chunk ids, ascending within a term
      text.frequencies.npy  float32, the term's frequency in each of those chunks
      text.lengths.npy      float32, per chunk row: the field's length as Whoosh stores it
                            (one byte, decoded), so scores equal Whoosh's

Postings hold live chunks when written; a chunk deleted later stays until a full rebuild, as
in Whoosh, and the shard's live mask keeps it out of results.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

POSTINGS_DIR = "postings"
STATISTICS_FILE = "statistics.json"
SCORED_FIELDS = ("text", "title", "company", "source")
ARRAYS = ("documents", "starts", "chunks", "frequencies", "lengths")


@dataclass(frozen=True)
class FieldPostings:
    """One field's postings (see the module docstring)."""

    term_number: dict[str, int]
    documents: np.ndarray
    starts: np.ndarray
    chunks: np.ndarray
    frequencies: np.ndarray
    lengths: np.ndarray
    total_length: int

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The chunk ids holding ``term`` (ascending) and its frequency in each; empty if none."""
        number = self.term_number.get(term)
        if number is None:
            return _NO_CHUNKS, _NO_FREQUENCIES
        start, end = self.starts[number], self.starts[number + 1]
        return self.chunks[start:end], self.frequencies[start:end]

    def document_frequency(self, term: str) -> int:
        number = self.term_number.get(term)
        return 0 if number is None else int(self.documents[number])


@dataclass(frozen=True)
class Postings:
    """Every scored field's postings, and the chunk rows they were counted over."""

    chunk_rows: int
    fields: dict[str, FieldPostings]

    @classmethod
    def load(cls, generation_dir: Path) -> "Postings":
        directory = Path(generation_dir) / POSTINGS_DIR
        statistics = json.loads((directory / STATISTICS_FILE).read_text())
        fields = {}
        for name in SCORED_FIELDS:
            terms = json.loads((directory / f"{name}.terms.json").read_text(encoding="utf-8"))
            arrays = {part: np.load(directory / f"{name}.{part}.npy", mmap_mode="r") for part in ARRAYS}
            fields[name] = FieldPostings(
                {term: number for number, term in enumerate(terms)},
                total_length=statistics["lengths"][name],
                **arrays,
            )
        return cls(statistics["chunk_rows"], fields)


def write_postings(
    generation_dir: Path, chunk_rows: int, fields: dict[str, tuple[list[str], dict[str, np.ndarray], int]]
) -> None:
    """Write ``fields`` (name → sorted terms, the arrays of ``ARRAYS``, total length)."""
    directory = Path(generation_dir) / POSTINGS_DIR
    directory.mkdir(exist_ok=True)
    for name, (terms, arrays, _total) in fields.items():
        (directory / f"{name}.terms.json").write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
        for part in ARRAYS:
            np.save(directory / f"{name}.{part}.npy", arrays[part], allow_pickle=False)
    lengths = {name: total for name, (_terms, _arrays, total) in fields.items()}
    (directory / STATISTICS_FILE).write_text(json.dumps({"chunk_rows": chunk_rows, "lengths": lengths}))


_NO_CHUNKS = np.zeros(0, dtype=np.int32)
_NO_FREQUENCIES = np.zeros(0, dtype=np.float32)
