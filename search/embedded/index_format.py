"""The on-disk index format, defined once on the reader's side; the indexer imports it.

An index directory holds numbered generations and a ``CURRENT`` file naming the one in use::

    index/
      CURRENT                 "gen-0003"
      gen-0003/
        manifest.json         written last: a generation without it is incomplete
        keyword/              Whoosh index over chunks (word positions, for phrases)
        postings/             the keyword postings as arrays (search.embedded.postings)
        vectors.npy           float32, L2-normalised, one row per chunk (row = chunk id)
        vectors.hnsw          an HNSW graph of those rows, in a large index only
                              (search.embedded.approximate)
        store.sqlite          documents and chunk texts
        aliases.json          name ↔ code pairs mined from the corpus, each with its document
        vocabulary.json       plain words as written → documents holding them (search.spelling)

A sharded index (``clinsearch reindex --shards N``) keeps the same files once per shard, in
``gen-0003/shard-0`` … ``shard-N-1``, each with a manifest of its own; the generation's manifest
names its shards and describes the whole corpus. ``CURRENT`` names the generation, so a reindex
switches every shard at once.

Whoosh numbers its documents in the order they were added; chunks are added in chunk-id
order and segments are never merged, so a Whoosh document number *is* a chunk id (the reader
checks). A generation that extends an earlier one keeps that one's chunk ids: the chunks of
removed documents stay as deleted Whoosh documents and zeroed matrix rows, absent from the
store, so ``manifest["chunk_rows"]`` (rows, deleted ones included) can exceed
``manifest["chunks"]`` (live chunks).
"""

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from whoosh import fields
from whoosh.filedb.filestore import FileStorage

from search.analysis import domain_analyzer
from search.errors import IndexMismatchError, IndexNotFoundError

FORMAT_VERSION = 7
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
KEYWORD_DIR = "keyword"
VECTORS_FILE = "vectors.npy"
GRAPH_FILE = "vectors.hnsw"
STORE_FILE = "store.sqlite"
MINED_ALIASES_FILE = "aliases.json"
VOCABULARY_FILE = "vocabulary.json"
LOCK_FILE = ".reindex.lock"
GENERATION_PREFIX = "gen-"
SHARD_PREFIX = "shard-"
DEFAULT_INDEX_DIR = "index"


def open_keyword_index(directory: Path):
    """The Whoosh index in ``directory``, its files read through file handles. Memory-mapped,
    Whoosh copies every file of a segment that a reader opens into memory (its ``BufferFile``
    wraps the map in a ``BytesIO``): a searcher, or an indexer adding to a large segment, would
    hold the segment's postings whole."""
    return FileStorage(str(directory), supports_mmap=False).open_index()


def keyword_schema() -> fields.Schema:
    """One Whoosh document per chunk. ``text`` holds the document's title and then the passage, as
    one field: Whoosh's BM25F sums per-field BM25 scores, which ranked worse than one field on
    SciFact (nDCG@10 0.645 against 0.675) and on the GlobeNewswire judgments (0.780 against
    0.791). ``title`` alone serves ``title:`` queries."""
    analyzer = domain_analyzer()
    return fields.Schema(
        chunk_id=fields.NUMERIC(stored=True, unique=True),
        doc_id=fields.ID(stored=True),
        title=fields.TEXT(analyzer=analyzer, multitoken_query="and"),
        text=fields.TEXT(analyzer=analyzer, multitoken_query="and"),
        company=fields.TEXT(analyzer=analyzer, multitoken_query="and"),
        source=fields.TEXT(analyzer=analyzer, multitoken_query="and"),
        date=fields.ID(stored=True),
    )


def default_index_dir() -> Path:
    """``CLINSEARCH_INDEX`` if set, else ``./index``."""
    return Path(os.environ.get("CLINSEARCH_INDEX") or DEFAULT_INDEX_DIR)


@dataclass(frozen=True)
class Generation:
    """One complete generation directory and its manifest."""

    path: Path
    manifest: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def keyword_dir(self) -> Path:
        return self.path / KEYWORD_DIR

    @property
    def vectors_path(self) -> Path:
        return self.path / VECTORS_FILE

    @property
    def graph_path(self) -> Path:
        return self.path / GRAPH_FILE

    @property
    def store_path(self) -> Path:
        return self.path / STORE_FILE

    @functools.cached_property
    def shards(self) -> list["Generation"]:
        """The generation's shards, each laid out as an unsharded generation; ``[self]`` when it
        is not sharded. Read once: a shard's manifest lists every document's hash (tens of MB at
        a million passages)."""
        names = self.manifest.get("shards")
        return [read_generation(self.path / name) for name in names] if names else [self]


def read_generation(path: Path) -> Generation:
    """The generation (or shard) written at ``path``, its manifest as written, unchecked."""
    return Generation(path, json.loads((path / MANIFEST_FILE).read_text()))


def shard_name(number: int) -> str:
    return f"{SHARD_PREFIX}{number}"


def current_generation_name(index_dir: Path) -> str | None:
    """The name written in ``CURRENT``, or None when nothing was built yet."""
    try:
        return (Path(index_dir) / CURRENT_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def open_generation(index_dir: Path, name: str | None = None, check_format: bool = True) -> Generation:
    """The current (or named) generation, with its manifest checked against this reader
    (``check_format=False`` skips the format check, for reusing an old generation's vectors).

    Raises:
        IndexNotFoundError: no generation has been built in ``index_dir``.
        IndexMismatchError: the generation was written in another format version.
    """
    index_dir = Path(index_dir)
    name = name or current_generation_name(index_dir)
    manifest_path = index_dir / (name or "") / MANIFEST_FILE
    if not name or not manifest_path.is_file():
        raise IndexNotFoundError(f"No index in {index_dir}. Run `clinsearch reindex --index {index_dir}` first.")
    generation = read_generation(index_dir / name)
    manifest = generation.manifest
    if check_format and manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index in {index_dir} has format version {manifest.get('format_version')}, "
            f"this clinsearch reads version {FORMAT_VERSION}. "
            f"Run `clinsearch reindex --index {index_dir}` to rebuild it."
        )
    return generation


def write_manifest(generation_dir: Path, manifest: dict) -> None:
    """Write the manifest last, through a temporary file, so it is whole or absent."""
    temporary = generation_dir / (MANIFEST_FILE + ".tmp")
    temporary.write_text(json.dumps({"format_version": FORMAT_VERSION, **manifest}, indent=2))
    os.replace(temporary, generation_dir / MANIFEST_FILE)


def switch_current(index_dir: Path, generation_name: str) -> None:
    """Point ``CURRENT`` at a generation atomically (``os.replace`` of a small file)."""
    temporary = Path(index_dir) / (CURRENT_FILE + ".tmp")
    temporary.write_text(generation_name + "\n")
    os.replace(temporary, Path(index_dir) / CURRENT_FILE)
