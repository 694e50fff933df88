"""Building a generation: load, chunk, embed, write both indexes and the store, then switch CURRENT.

Everything is written into a fresh ``gen-NNNN`` directory; ``CURRENT`` moves to it only after
its manifest is written. Any failure removes the half-built directory and leaves the previous
generation serving. A lock file keeps two reindexers out of one index directory.
"""

import contextlib
import fcntl
import hashlib
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from indexer import chunking
from indexer.aliases import mine_aliases
from indexer.chunking import chunk_body
from indexer.documents import Document, Problem, load_corpus
from indexer.duplicates import duplicate_groups
from indexer.entities import chunk_entities, document_entities
from indexer.keyword import write_keyword_index
from indexer.vectors import embed, previous_vectors, text_hash
from search import store
from search.encoder import configured_model_name, get_encoder
from search.errors import ClinsearchError, IndexLockedError
from search.facets import FILTER_FACETS, document_facet_values, value_key
from search.filters import facet_field
from search.index_format import (
    GENERATION_PREFIX,
    LOCK_FILE,
    MINED_ALIASES_FILE,
    STORE_FILE,
    VECTORS_FILE,
    Generation,
    current_generation_name,
    open_generation,
    switch_current,
    write_manifest,
)

GENERATIONS_KEPT = 2  # the new one, and the one a running server may still be reading


@dataclass
class BuildReport:
    """What a reindex did, for the closing summary."""

    index_dir: Path
    generation: str
    documents: int
    chunks: int
    encoded: int
    reused: int
    seconds: float
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ChunkRow:
    """A chunk as stored: its document, place, text, and the text its vector was made from."""

    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    embedded_text: str
    entities: dict


def reindex(corpus: Path, index_dir: Path, show_progress: bool = True) -> BuildReport:
    """Index ``corpus`` into a new generation of ``index_dir`` and make it current.

    Raises:
        IndexLockedError: another reindex of ``index_dir`` is running.
        ClinsearchError: the corpus holds no readable document (nothing is switched).
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with _reindex_lock(index_dir):
        documents, problems = load_corpus(Path(corpus))
        if not documents:
            raise ClinsearchError(f"No readable documents in {corpus}; the index was left as it was.")
        previous = _previous_generation(index_dir)
        generation_dir = index_dir / _next_generation_name(index_dir)
        generation_dir.mkdir()
        try:
            counts = _write_generation(generation_dir, documents, problems, previous, Path(corpus), show_progress)
        except BaseException:
            shutil.rmtree(generation_dir, ignore_errors=True)
            raise
        switch_current(index_dir, generation_dir.name)
        _prune(index_dir)
    return BuildReport(
        index_dir,
        generation_dir.name,
        len(documents),
        problems=problems,
        seconds=time.perf_counter() - started,
        **counts,
    )


def corpus_fingerprint(documents: list[Document]) -> str:
    """Changes whenever any document is added, removed or changed."""
    digest = hashlib.sha256()
    for doc_id, content_hash in sorted((document.doc_id, document.content_hash) for document in documents):
        digest.update(f"{doc_id}\x1f{content_hash}\n".encode())
    return digest.hexdigest()


def is_up_to_date(corpus: Path, index_dir: Path) -> bool:
    """True when the current generation indexes exactly ``corpus``'s documents, in this format,
    with the configured model and chunking; then a reindex would build the same thing again."""
    try:
        manifest = open_generation(index_dir).manifest
    except (ClinsearchError, OSError, ValueError):
        return False
    documents, _ = load_corpus(Path(corpus))
    return (
        manifest.get("model") == configured_model_name()
        and manifest.get("chunking") == chunking.SETTINGS
        and manifest.get("corpus_fingerprint") == corpus_fingerprint(documents)
    )


def _write_generation(
    generation_dir: Path,
    documents: list[Document],
    problems: list[Problem],
    previous: Generation | None,
    corpus: Path,
    show_progress: bool,
) -> dict:
    model_name = configured_model_name()
    chunks = [row for document in documents for row in _chunk_rows(document)]
    encoder = get_encoder(model_name)
    with tqdm(total=len(chunks), desc="Embedding passages", unit="chunk", disable=not show_progress) as bar:
        vectors, encoded = embed(
            [row.embedded_text for row in chunks], encoder, previous_vectors(previous, model_name), bar.update
        )
    np.save(generation_dir / VECTORS_FILE, vectors, allow_pickle=False)
    entities = {document.doc_id: document_entities(document) for document in documents}
    groups = duplicate_groups(documents)
    _write_store(generation_dir / STORE_FILE, documents, chunks, entities, groups)
    facets = {d.doc_id: document_facet_values(entities[d.doc_id], d.company, d.source, d.date) for d in documents}
    by_id = {document.doc_id: document for document in documents}
    keyword_rows = tqdm(
        (_keyword_row(chunk_id, row, by_id[row.doc_id], facets[row.doc_id]) for chunk_id, row in enumerate(chunks)),
        total=len(chunks),
        desc="Keyword index",
        unit="chunk",
        disable=not show_progress,
    )
    write_keyword_index(generation_dir / "keyword", keyword_rows)
    mined = mine_aliases(documents)
    (generation_dir / MINED_ALIASES_FILE).write_text(json.dumps(mined, indent=1, ensure_ascii=False))
    write_manifest(
        generation_dir,
        {
            "model": model_name,
            "dimension": int(vectors.shape[1]),
            "documents": len(documents),
            "chunks": len(chunks),
            "corpus": str(corpus.resolve()),
            "corpus_fingerprint": corpus_fingerprint(documents),
            "chunking": chunking.SETTINGS,
            "mined_aliases": len(mined),
            "duplicate_groups": len(set(groups.values())),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "document_hashes": {document.doc_id: document.content_hash for document in documents},
            "problems": [str(problem) for problem in problems],
        },
    )
    return {"chunks": len(chunks), "encoded": encoded, "reused": len(chunks) - encoded}


def _chunk_rows(document: Document) -> list[ChunkRow]:
    """A document's passages; the embedded text leads with the title, which names the programme."""
    passages = chunk_body(document.body) or []
    if not passages:  # a title-only document is one passage of its title
        title = document.title
        return [ChunkRow(document.doc_id, 0, 0, 0, title, title, chunk_entities(title))]
    return [
        ChunkRow(
            document.doc_id,
            chunk.ordinal,
            chunk.start,
            chunk.end,
            chunk.text,
            f"{document.title}\n{chunk.text}",
            chunk_entities(chunk.text),
        )
        for chunk in passages
    ]


def _keyword_row(chunk_id: int, row: ChunkRow, document: Document, facets: dict[str, list[str]]) -> dict:
    fields = {
        "chunk_id": chunk_id,
        "doc_id": row.doc_id,
        "title": document.title,
        "text": f"{document.title}\n{row.text}",
        "company": document.company,
        "source": document.source,
        "date": document.date,
    }
    for name in FILTER_FACETS:
        fields[facet_field(name)] = ",".join(value_key(value) for value in facets[name])
    return fields


def _write_store(
    path: Path, documents: list[Document], chunks: list[ChunkRow], entities: dict[str, dict], groups: dict[str, str]
) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.executescript(store.TABLES)
        connection.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    d.doc_id,
                    d.title,
                    d.date,
                    d.company,
                    d.source,
                    d.url,
                    d.path,
                    d.content_hash,
                    json.dumps(d.metadata, ensure_ascii=False),
                    json.dumps(entities[d.doc_id], ensure_ascii=False),
                    groups[d.doc_id],
                    d.body,
                )
                for d in documents
            ],
        )
        connection.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    chunk_id,
                    c.doc_id,
                    c.ordinal,
                    c.start,
                    c.end,
                    c.text,
                    text_hash(c.embedded_text),
                    json.dumps(c.entities, ensure_ascii=False),
                )
                for chunk_id, c in enumerate(chunks)
            ],
        )


@contextlib.contextmanager
def _reindex_lock(index_dir: Path):
    """An exclusive ``flock`` on the index's lock file; the kernel releases it if we crash."""
    with open(index_dir / LOCK_FILE, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"Another `clinsearch reindex` is writing {index_dir}; try again when it has finished."
            ) from None
        yield


def _previous_generation(index_dir: Path) -> Generation | None:
    """The current generation, if there is one: its vectors can be reused even when an older
    format version keeps it from being searched."""
    try:
        return open_generation(index_dir, check_format=False)
    except (ClinsearchError, OSError, ValueError):
        return None


def _generation_names(index_dir: Path) -> list[str]:
    return sorted(path.name for path in index_dir.glob(GENERATION_PREFIX + "*") if path.is_dir())


def _next_generation_name(index_dir: Path) -> str:
    names = _generation_names(index_dir)
    number = int(names[-1].removeprefix(GENERATION_PREFIX)) + 1 if names else 1
    return f"{GENERATION_PREFIX}{number:04d}"


def _prune(index_dir: Path) -> None:
    """Remove all but the newest generations, never the current one."""
    current = current_generation_name(index_dir)
    for name in _generation_names(index_dir)[:-GENERATIONS_KEPT]:
        if name != current:
            shutil.rmtree(index_dir / name, ignore_errors=True)
