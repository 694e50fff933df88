"""Building a generation: load, chunk, embed, write both indexes and the store, then switch CURRENT.

Everything is written into a fresh ``gen-NNNN`` directory; ``CURRENT`` moves to it only after
its manifest is written. Any failure removes the half-built directory and leaves the previous
generation serving; what a process killed outright left half-built, the next reindex removes.
A lock file keeps two reindexers out of one index directory.
"""

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from indexer import chunking
from indexer.aliases import extended_aliases, mine_aliases
from indexer.changes import Changes
from indexer.chunking import chunk_body
from indexer.documents import Document, Problem, content_hashes, load_corpus, read_corpus
from indexer.duplicates import duplicate_groups
from indexer.entities import document_entities, extraction_fingerprint
from indexer.failures import explained_write_errors, loaded_encoder
from indexer.field_report import FieldReport
from indexer.generations import (
    next_generation_name,
    previous_generation,
    prune,
    reindex_lock,
    remove_incomplete_generations,
)
from indexer.keyword import write_keyword_index, write_keyword_postings
from indexer.vectors import embed, previous_vectors, text_hash
from search.aliases import read_mined_entries
from search.embedded import approximate, store
from search.embedded.index_format import (
    GRAPH_FILE,
    KEYWORD_DIR,
    MINED_ALIASES_FILE,
    STORE_FILE,
    VECTORS_FILE,
    VOCABULARY_FILE,
    Generation,
    open_generation,
    shard_name,
    switch_current,
    write_manifest,
)
from search.embedded.postings import Postings
from search.encoder import ENCODERS_DIR, Encoder, configured_model_name
from search.errors import ClinsearchError, cluster_extra_needed
from search.spelling import count_words, read_vocabulary


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
    incremental: bool = False  # the previous generation was extended, not rebuilt
    changed: int = 0  # documents new or changed since the previous generation
    removed: int = 0  # documents gone since it
    problems: list[Problem] = field(default_factory=list)
    field_report: FieldReport = field(default_factory=FieldReport)  # fields read under other names, or missing
    shards: int = 1
    parts: list = field(default_factory=list)  # ShardPart of each shard, when written on a Ray cluster
    advice: str = ""  # what to run next, when something is worth doing


@dataclass
class ChunkRow:
    """A chunk as stored: its id, document, place, text, and the text its vector was made from."""

    chunk_id: int
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    embedded_text: str


def reindex(
    corpus: Path,
    index_dir: Path,
    show_progress: bool = True,
    encoder: Encoder | None = None,
    shards: int | None = None,
    ray_address: str | None = None,
) -> BuildReport:
    """Index ``corpus`` into a new generation of ``index_dir`` and make it current.

    The new generation extends the current one when it can (``indexer.changes``): only new and
    changed documents are analysed and embedded. ``encoder`` replaces the configured model (the
    scale benchmark passes a cheap stand-in). ``shards``: how many shards to route the documents
    to (``shard_of``); None keeps the current generation's count (1 for a new index).
    ``ray_address``: write the shards as tasks on that Ray cluster (``indexer.distributed``).

    Raises:
        IndexLockedError: another reindex of ``index_dir`` is running.
        IndexWriteError: the disk is full, or ``index_dir`` cannot be written.
        ModelUnavailableError: the configured model is not on this machine.
        ClinsearchError: the corpus holds no readable document, or ``shards`` is below 1
            (nothing is switched).
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    if shards is not None and shards < 1:
        raise ClinsearchError(f"--shards must be 1 or more, not {shards}.")
    with explained_write_errors(index_dir):
        index_dir.mkdir(parents=True, exist_ok=True)
        with reindex_lock(index_dir):
            loaded = read_corpus(Path(corpus))
            documents, problems = loaded.documents, loaded.problems
            if not documents:
                raise ClinsearchError(f"No readable documents in {corpus}; the index was left as it was.")
            model_name = encoder.model_name if encoder else configured_model_name()
            previous = previous_generation(index_dir)
            shards = shards or (len(previous.shards) if previous else 1)
            remove_incomplete_generations(index_dir)
            generation_dir = index_dir / next_generation_name(index_dir)
            generation_dir.mkdir()  # an empty directory a signal leaves here, the next reindex removes
            try:
                jobs = shard_jobs(generation_dir, documents, previous, shards, model_name)
                if ray_address:
                    with cluster_extra_needed():
                        from indexer.distributed import write_on_ray
                    parts = write_on_ray(ray_address, jobs, encoder, index_dir / ENCODERS_DIR, show_progress)
                else:
                    encoder_of = encoder_loader(encoder, model_name, index_dir / ENCODERS_DIR)
                    parts = [ShardPart(write_shard(job, encoder_of, show_progress)) for job in jobs]
                built = Built.combined([part.built for part in parts]) if shards > 1 else parts[0].built
                extra = {"shards": [shard_name(number) for number in range(shards)]} if shards > 1 else {}
                hashes = content_hashes(documents)
                write_build_manifest(generation_dir, model_name, hashes, problems, Path(corpus), built, extra)
            except BaseException:  # KeyboardInterrupt too: the CLI turns SIGTERM into one
                shutil.rmtree(generation_dir, ignore_errors=True)
                raise
            switch_current(index_dir, generation_dir.name)
            prune(index_dir)
    changes = [job.changes for job in jobs]
    return BuildReport(
        index_dir,
        generation_dir.name,
        len(documents),
        chunks=built.live_chunks,
        encoded=built.encoded,
        reused=built.added - built.encoded,
        seconds=time.perf_counter() - started,
        incremental=all(part.base is not None for part in changes),
        changed=sum(len(part.added) for part in changes),
        removed=sum(len(set(part.removed_doc_ids) - {d.doc_id for d in part.added}) for part in changes),
        problems=problems,
        field_report=loaded.report,
        shards=shards,
        parts=parts if ray_address else [],
    )


def encoder_loader(encoder: Encoder | None, model_name: str, encoders_dir: Path):
    """A function giving ``encoder``, or else the configured model, loaded at the first call only."""
    return (lambda: encoder) if encoder else functools.cache(lambda: loaded_encoder(model_name, encoders_dir))


@dataclass
class ShardPart:
    """A written shard: what it holds, and where and how long it was written (on a cluster)."""

    built: "Built"
    node: str = ""
    seconds: float = 0.0


def shard_of(doc_id: str, shards: int) -> int:
    """The shard a document is routed to: a stable hash of its id, the same on every machine and
    in every run (Python's ``hash`` of a string is salted per process)."""
    return int.from_bytes(hashlib.sha256(doc_id.encode()).digest()[:8], "big") % shards


@dataclass
class ShardJob:
    """One shard's part of a reindex: where it is written, what changed since its base, where
    its unchanged passages' vectors come from, and the corpus's near-duplicate groups."""

    directory: Path
    changes: Changes
    vectors_from: Generation | None  # the shard's base, else the whole current generation
    groups: dict[str, str]
    sharded: bool  # one of several shards: it gets a manifest of its own


def shard_jobs(
    generation_dir: Path, documents: list[Document], previous: Generation | None, shards: int, model_name: str
) -> list[ShardJob]:
    """Each shard's job: the generation directory itself when there is one shard, ``shard-N``
    directories in it otherwise. A shard extends the same shard of the current generation when
    both have as many shards (a document's shard never changes then); otherwise it is built
    afresh, its vectors reused from any shard. Near-duplicate groups are found over the whole
    corpus, so a group may span shards."""
    bases = previous.shards if previous and len(previous.shards) == shards else [None] * shards
    groups = duplicate_groups(documents)
    return [
        ShardJob(
            generation_dir / shard_name(number) if shards > 1 else generation_dir,
            Changes.between(base, part, model_name),
            base or previous,
            groups,
            shards > 1,
        )
        for number, (part, base) in enumerate(zip(routed(documents, shards), bases, strict=True))
    ]


def routed(documents: list[Document], shards: int) -> list[list[Document]]:
    """``documents`` split by the shard ``shard_of`` routes each to, in shard order."""
    parts = [[] for _ in range(shards)]
    for document in documents:
        parts[shard_of(document.doc_id, shards)].append(document)
    return parts


def write_shard(job: ShardJob, encoder_of, show_progress: bool) -> "Built":
    """Write one shard's files (and its manifest, when it is one of several)."""
    job.directory.mkdir(exist_ok=True)
    built = _write_generation(job.directory, job.changes, job.vectors_from, job.groups, encoder_of, show_progress)
    if job.sharded:
        write_build_manifest(job.directory, job.changes.model_name, job.changes.document_hashes(), [], None, built)
    return built


def corpus_fingerprint(hashes: dict[str, str]) -> str:
    """Changes whenever any document is added, removed or changed; ``hashes``: each document's
    content hash by doc_id."""
    digest = hashlib.sha256()
    for doc_id, content_hash in sorted(hashes.items()):
        digest.update(f"{doc_id}\x1f{content_hash}\n".encode())
    return digest.hexdigest()


def is_up_to_date(corpus: Path, index_dir: Path) -> bool:
    """True when the current generation indexes exactly ``corpus``'s documents, in this format,
    with the configured model, chunking and vector search; then a reindex would build the same
    thing again."""
    try:
        generation = open_generation(index_dir)
        manifest = generation.manifest
    except (ClinsearchError, OSError, ValueError):
        return False
    documents, _ = load_corpus(Path(corpus))
    return (
        manifest.get("model") == configured_model_name()
        and manifest.get("chunking") == chunking.SETTINGS
        and manifest.get("corpus_fingerprint") == corpus_fingerprint(content_hashes(documents))
        and manifest.get("extraction") == extraction_fingerprint()
        and all(
            shard.manifest.get("graph", False) == approximate.wanted(shard.manifest.get("chunk_rows", 0))
            for shard in generation.shards
        )
    )


@dataclass
class Built:
    """What writing a generation produced, for its manifest and the report."""

    rows: int  # rows of the matrix and Whoosh documents, removed chunks' included
    live_chunks: int
    dimension: int
    added: int  # chunks added
    encoded: int  # of them, newly embedded
    duplicate_groups: set[str]  # the groups its documents belong to
    mined_aliases: int
    vocabulary: set[str]  # distinct plain words, for spelling suggestions
    graph_rows: int  # rows of the HNSW graph of the vectors (search.embedded.approximate); 0: none

    @staticmethod
    def held(generation: Generation) -> "Built":
        """What a written generation (or shard) holds, as if it had just been written again."""
        manifest = generation.manifest
        return Built(
            manifest["chunk_rows"],
            manifest["chunks"],
            manifest["dimension"],
            0,
            0,
            _group_ids(generation.store_path),
            manifest["mined_aliases"],
            set(read_vocabulary(generation)),
            graph_rows(manifest),
        )

    @staticmethod
    def combined(parts: list["Built"]) -> "Built":
        """What the shards of one generation hold together."""
        return Built(
            sum(part.rows for part in parts),
            sum(part.live_chunks for part in parts),
            parts[0].dimension,
            sum(part.added for part in parts),
            sum(part.encoded for part in parts),
            set().union(*(part.duplicate_groups for part in parts)),
            sum(part.mined_aliases for part in parts),
            set().union(*(part.vocabulary for part in parts)),
            sum(part.graph_rows for part in parts),
        )


def _write_generation(
    generation_dir: Path,
    changes: Changes,
    vectors_from: Generation | None,
    groups: dict[str, str],
    encoder_of,
    show_progress: bool,
) -> Built:
    """Start from the base generation's files (or from nothing), delete the removed documents,
    add the new ones. Their keyword rows are analysed and written on a second thread while this
    one embeds their passages: the model runs outside Python's lock, so the two overlap.
    ``vectors_from``: a generation whose vectors of equal texts are reused; ``groups``: the near-duplicate group of
    every document of the corpus (``indexer.duplicates``), or, when adding, of the added
    documents and of the kept ones whose group changed."""
    base = changes.base
    rows = base.manifest["chunk_rows"] if base else 0
    added_chunks = chunk_rows(changes.added, first_id=rows)
    keyword_dir = generation_dir / KEYWORD_DIR
    if base:
        shutil.copytree(base.keyword_dir, keyword_dir, copy_function=os.link)  # Whoosh never rewrites a file
        shutil.copy(base.store_path, generation_dir / STORE_FILE)
    with ThreadPoolExecutor(max_workers=1) as keyword_thread:
        entities = keyword_thread.submit(
            _write_keyword_rows, keyword_dir, changes, added_chunks, base is not None, show_progress
        )
        with tqdm(total=len(added_chunks), desc="Embedding passages", unit="chunk", disable=not show_progress) as bar:
            fresh, encoded = embed(
                [row.embedded_text for row in added_chunks],
                encoder_of,
                previous_vectors(
                    vectors_from, changes.model_name, [text_hash(row.embedded_text) for row in added_chunks]
                ),
                bar.update,
            )
        entities = entities.result()
    write_keyword_postings(generation_dir, keyword_dir, Postings.load(base.path) if base else None)
    matrix = _extended_matrix(base, fresh, removed_rows=changes.removed_chunk_ids)
    np.save(generation_dir / VECTORS_FILE, matrix, allow_pickle=False)
    rows_in_graph = 0
    if approximate.wanted(len(matrix)):
        base_graph, base_rows = (base.graph_path, graph_rows(base.manifest)) if base else (None, 0)
        rows_in_graph = approximate.build(matrix, base_graph, generation_dir / GRAPH_FILE, show_progress, base_rows)
    _update_store(generation_dir / STORE_FILE, changes, added_chunks, entities, groups)
    mined = (
        mine_aliases(changes.documents)
        if changes.documents is not None
        else extended_aliases(
            read_mined_entries(base.path / MINED_ALIASES_FILE), set(changes.removed_doc_ids), changes.added
        )
    )
    (generation_dir / MINED_ALIASES_FILE).write_text(json.dumps(mined, indent=1, ensure_ascii=False))
    vocabulary = _vocabulary(changes)
    (generation_dir / VOCABULARY_FILE).write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
    live = (base.manifest["chunks"] if base else 0) - len(changes.removed_chunk_ids) + len(added_chunks)
    return Built(
        len(matrix),
        live,
        int(matrix.shape[1]),
        len(added_chunks),
        encoded,
        _group_ids(generation_dir / STORE_FILE),
        len(mined),
        set(vocabulary),
        rows_in_graph,
    )


def graph_rows(manifest: dict) -> int:
    """The rows a generation's graph holds (before ``graph_rows`` was recorded, a graph held every row)."""
    return manifest.get("graph_rows", manifest["chunk_rows"] if manifest.get("graph") else 0)


def _group_ids(store_path: Path) -> set[str]:
    with contextlib.closing(store.open_read_only(store_path)) as connection:
        return store.group_ids(connection)


def _write_keyword_rows(
    keyword_dir: Path, changes: Changes, added_chunks: list[ChunkRow], extend: bool, show_progress: bool
) -> dict[str, dict]:
    """Analyse the added documents and write their chunks' keyword rows; their entities."""
    entities = {document.doc_id: document_entities(document) for document in changes.added}
    by_id = {document.doc_id: document for document in changes.added}
    rows = tqdm(
        (_keyword_row(row, by_id[row.doc_id]) for row in added_chunks),
        total=len(added_chunks),
        desc="Keyword index",
        unit="chunk",
        position=1,  # below the embedding bar, which the other thread draws
        disable=not show_progress,
    )
    write_keyword_index(keyword_dir, rows, removed_doc_ids=changes.removed_doc_ids, extend=extend)
    return entities


def _vocabulary(changes: Changes) -> dict[str, int]:
    """The plain words of the corpus and how many documents hold each (``search.spelling``): the
    base generation's counts, less its removed documents' words, plus the added documents'.
    Counting only the difference keeps an incremental reindex cheap (counting every word of
    200,000 passages takes 10–20 s)."""
    counts = read_vocabulary(changes.base) if changes.base else Counter()
    if changes.removed_doc_ids:
        marks = ",".join("?" * len(changes.removed_doc_ids))
        with contextlib.closing(store.open_read_only(changes.base.store_path)) as connection:
            rows = connection.execute(
                f"SELECT title, body FROM documents WHERE doc_id IN ({marks})", changes.removed_doc_ids
            )
            counts.subtract(count_words(f"{title}\n{body}" for title, body in rows))
    counts.update(count_words(f"{document.title}\n{document.body}" for document in changes.added))
    return dict(sorted((+counts).items()))  # unary + drops the words no document holds any more


def _extended_matrix(base: Generation | None, fresh: np.ndarray, removed_rows: list[int]) -> np.ndarray:
    """The base generation's vectors, removed rows zeroed, then the fresh ones; row = chunk id.
    The base is read into the new matrix from its memory map, never held twice."""
    if base is None:
        return fresh
    kept = np.load(base.vectors_path, mmap_mode="r", allow_pickle=False)
    matrix = np.empty((len(kept) + len(fresh), kept.shape[1]), dtype=kept.dtype)
    matrix[: len(kept)] = kept
    matrix[len(kept) :] = fresh.reshape(-1, kept.shape[1])
    matrix[removed_rows] = 0  # a zero vector is never near a query, even before the live mask
    return matrix


def write_build_manifest(
    generation_dir: Path,
    model_name: str,
    hashes: dict[str, str],
    problems: list[Problem],
    corpus: Path | None,
    built: Built,
    extra: dict | None = None,
) -> None:
    """``hashes``: each document's content hash by doc_id; ``corpus``: None for a shard's
    manifest (its generation's names the corpus); ``extra``: fields only some manifests have.
    A sharded generation's manifest does not list the hashes again: its shards' do."""
    sharded = bool((extra or {}).get("shards"))
    write_manifest(
        generation_dir,
        {
            **(extra or {}),
            "model": model_name,
            "dimension": built.dimension,
            "documents": len(hashes),
            "chunks": built.live_chunks,
            "chunk_rows": built.rows,
            "graph": built.graph_rows > 0,
            "graph_rows": built.graph_rows,
            "corpus": str(corpus.resolve()) if corpus else None,
            "corpus_fingerprint": corpus_fingerprint(hashes) if corpus else None,  # a shard's is never asked
            "chunking": chunking.SETTINGS,
            "extraction": extraction_fingerprint(),
            "mined_aliases": built.mined_aliases,
            "duplicate_groups": len(built.duplicate_groups),
            "vocabulary": len(built.vocabulary),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **({} if sharded else {"document_hashes": hashes}),
            "problems": [str(problem) for problem in problems],
        },
    )


def chunk_rows(documents: list[Document], first_id: int) -> list[ChunkRow]:
    """The documents' passages, numbered from ``first_id``; each embedded text leads with its
    title, which names the programme. A title-only document is one passage of its title."""
    rows = []
    for document in documents:
        passages = chunk_body(document.body) or []
        places = [(chunk.ordinal, chunk.start, chunk.end, chunk.text) for chunk in passages]
        for ordinal, start, end, text in places or [(0, 0, 0, document.title)]:
            embedded = f"{document.title}\n{text}" if passages else text
            rows.append(ChunkRow(first_id + len(rows), document.doc_id, ordinal, start, end, text, embedded))
    return rows


def _keyword_row(row: ChunkRow, document: Document) -> dict:
    return {
        "chunk_id": row.chunk_id,
        "doc_id": row.doc_id,
        "title": document.title,
        "text": f"{document.title}\n{row.text}",
        "company": document.company,
        "source": document.source,
        "date": document.date,
    }


def _update_store(
    path: Path, changes: Changes, added_chunks: list[ChunkRow], entities: dict[str, dict], groups: dict[str, str]
) -> None:
    """Remove the removed documents, insert the added ones, and regroup the near-duplicates."""
    with contextlib.closing(store.open_for_writing(path)) as connection, connection:
        if changes.base is None:
            connection.executescript(store.TABLES)
        else:  # a store copied from an earlier generation: the indexes it may lack, and its changes
            connection.executescript(store.ADDITION_INDEXES)
            marks = ",".join("?" * len(changes.removed_doc_ids))
            connection.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", changes.removed_doc_ids)
            connection.execute(f"DELETE FROM documents WHERE doc_id IN ({marks})", changes.removed_doc_ids)
            _regroup(connection, groups)
        _insert_rows(connection, "documents", [_document_row(d, entities, groups) for d in changes.added])
        _insert_rows(connection, "chunks", [_chunk_row(c) for c in added_chunks])


def regroup_store(path: Path, groups: dict[str, str]) -> None:
    """Give the documents of the store at ``path`` that ``groups`` names their group there."""
    with contextlib.closing(store.open_for_writing(path)) as connection, connection:
        _regroup(connection, groups)


def _regroup(connection: sqlite3.Connection, groups: dict[str, str]) -> None:
    """``groups``: the group of every document, or (adding) of those whose group changed.
    Looked up by id: scanning the documents reads the whole table, bodies and all, which at
    a million passages was seconds of adding one release."""
    connection.executemany(
        "UPDATE documents SET group_id = ? WHERE doc_id = ? AND group_id <> ?",
        ((group_id, doc_id, group_id) for doc_id, group_id in groups.items()),
    )


def _insert_rows(connection: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    """Insert rows given as {column: value}, naming each column, so a value can only land in
    the column of its name whatever the order of ``store.TABLES``; all rows have the same keys."""
    if not rows:
        return
    columns = list(rows[0])
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + column for column in columns)})", rows
    )


def _document_row(document: Document, entities: dict[str, dict], groups: dict[str, str]) -> dict:
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "date": document.date,
        "company": document.company,
        "source": document.source,
        "url": document.url,
        "path": document.path,
        "content_hash": document.content_hash,
        "metadata": json.dumps(document.metadata, ensure_ascii=False),
        "entities": json.dumps(entities[document.doc_id], ensure_ascii=False),
        "group_id": groups[document.doc_id],
        "body": document.body,
    }


def _chunk_row(chunk: ChunkRow) -> dict:
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "ordinal": chunk.ordinal,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
        "text_hash": text_hash(chunk.embedded_text),
    }
