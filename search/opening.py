"""Opening an index for queries, and following ``CURRENT`` when a reindex switches it.

``OpenIndex`` is what a query needs beside the shard: its document table, alias table,
speller and query encoder. ``CurrentIndex`` opens an index directory's current generation as
an embedded shard (a ``ShardSet`` of them when the generation is sharded) and reopens when
``CURRENT`` names another.
"""

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from search.aliases import AliasTable, read_alias_file
from search.analysis import domain_analyzer
from search.document_table import DocumentTable
from search.embedded import store
from search.embedded.index_format import CURRENT_FILE, Generation, current_generation_name, open_generation
from search.embedded.shard import EmbeddedShard
from search.encoder import ENCODERS_DIR, configured_model_name, get_encoder
from search.errors import IndexMismatchError
from search.shards import Shard, ShardSet, merged_rows, offset_owners
from search.spelling import Speller

# Cores one query's encoding may use: a short query gains little from a second core, which
# the keyword search of the same query (and other users' requests) can use instead.
QUERY_THREADS = 1


class OpenIndex:
    """A shard (or a set of them) ready for queries; safe to share between threads."""

    def __init__(
        self, shard: Shard, encoders_dir: Path, manifest: dict | None = None, table: DocumentTable | None = None
    ):
        """``table``: the shard's, when it has built one already (an embedded shard has)."""
        self.shard = shard
        self.table = table or DocumentTable.build(shard.document_rows(), shard.chunk_owners(), shard.chunk_rows)
        live = len(self.table.chunk_document) if self.table.live is None else int(self.table.live.sum())
        self.manifest = manifest or {"model": shard.model, "documents": len(self.table.doc_ids), "chunks": live}
        self.encoder = get_encoder(shard.model, encoders_dir, QUERY_THREADS)
        self.aliases = AliasTable(read_alias_file() + shard.mined_aliases, domain_analyzer())
        self.speller = Speller(shard.vocabulary)


class CurrentIndex:
    """The current generation of ``index_dir``, reopened when a reindex moves ``CURRENT``.

    Raises:
        IndexNotFoundError: nothing has been built in ``index_dir``.
        IndexMismatchError: the index was built in another format or with another model.
    """

    def __init__(self, index_dir: Path, open_shards: Callable[[Generation], Shard] | None = None):
        """``open_shards``: how a generation's shards are opened (default: in this process,
        ``embedded_shards``; ``search.cluster.replicas.replicated`` on a Ray cluster)."""
        self.index_dir = Path(index_dir)
        self.open_shards = open_shards or embedded_shards
        self._switch_lock = threading.Lock()
        self._current_file = str(self.index_dir / CURRENT_FILE)
        self._current_stamp = _file_stamp(self._current_file)
        self._open = self._opened(None)

    def _opened(self, name: str | None) -> OpenIndex:
        generation = open_generation(self.index_dir, name)
        wanted = configured_model_name()
        if generation.manifest["model"] != wanted:
            raise IndexMismatchError(
                f"The index in {self.index_dir} was built with the embedding model "
                f"{generation.manifest['model']!r}, but {wanted!r} is configured. "
                f"Run `clinsearch reindex --index {self.index_dir}` to rebuild it."
            )
        shard = self.open_shards(generation)
        opened = OpenIndex(shard, self.index_dir / ENCODERS_DIR, generation.manifest, getattr(shard, "table", None))
        self._generation_name = generation.name
        return opened

    def __call__(self) -> OpenIndex:
        """The open generation, switched to the newest one when a reindex moved ``CURRENT``.

        A reindex replaces ``CURRENT`` with a new file (``switch_current``), so while its inode
        and modification time stay the same, it names the open generation: one ``stat`` per
        query instead of reading the file (0.02 ms warm, 0.15 ms in a query's timeline).

        The request that notices the move opens the new generation; others meanwhile keep the
        open one rather than wait (opening replicas on a cluster takes seconds)."""
        opened, stamp = self._open, _file_stamp(self._current_file)
        if stamp == self._current_stamp or not self._switch_lock.acquire(blocking=False):
            return opened
        try:
            name = current_generation_name(self.index_dir)
            if name not in (None, self._generation_name):
                self._open = self._opened(name)
            self._current_stamp = stamp
            return self._open
        finally:
            self._switch_lock.release()


def embedded_shards(generation: Generation) -> Shard:
    """The generation's shard, or a ``ShardSet`` of its shards, opened in this process. The
    shards of a set share one document table: a table each held every document's facets twice
    over (at a million passages in four shards, gigabytes)."""
    parts = generation.shards
    if len(parts) == 1:
        return EmbeddedShard(parts[0])
    rows = [part.manifest["chunk_rows"] for part in parts]
    offsets = np.cumsum([0, *rows])
    readers = [store.open_read_only(part.store_path) for part in parts]
    try:
        documents = merged_rows([store.table_rows(reader) for reader in readers])
        owners = offset_owners([store.chunk_owners(reader) for reader in readers], offsets)
    finally:
        for reader in readers:
            reader.close()
    table = DocumentTable.build(documents, owners, int(offsets[-1]))
    parted = zip(parts, offsets[:-1].tolist(), rows, strict=True)
    shards = [EmbeddedShard(part, table.part(first, count)) for part, first, count in parted]
    return ShardSet(shards, table)


def _file_stamp(path: str) -> tuple[int, int] | None:
    """The inode and modification time of the file at ``path``; None if there is none."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns
