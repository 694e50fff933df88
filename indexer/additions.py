"""Adding documents to the current index without reading its corpus again: ``reindex --add PATH``.

A full reindex reads the whole corpus to find what changed; at a million passages that alone
takes minutes. Documents that just arrived (a feed's new items, a release an analyst saved) are
added instead: the documents read from PATH join the current generation, each replacing the
stored document of its id. Only the shards they are routed to (``build.shard_of``) are
rewritten, extended as an incremental reindex extends them; the other shards are hard-linked
into the new generation unchanged. ``CURRENT`` then switches as after any reindex.

Near-duplicate groups grow as a full build would have grown them: the stored announcements an
added one could retell (dated within ``duplicates.MAX_DAYS_APART`` days of it, in any shard),
the documents a ``same_news_as`` header names or is named by, and every member of their groups
and of the groups of the documents being replaced, go through ``duplicates.duplicate_groups``
with the added ones, the kept members of each stored group chained together beforehand. A group
is named after its earliest member, and a stored member whose group name changes is regrouped
in the shard that holds it (that shard's other files are linked). What waits for the next full
reindex: a group is never split (its kept members stay together even when the replaced one was
all that joined them), a mined alias first found in a replaced document goes if its new version
lacks it, and the Whoosh segments and deleted passages additions pile up are not compacted (the
report advises a reindex from the corpus past ``changes.MAX_SEGMENTS`` or
``changes.MAX_DELETED_SHARE``). The corpus on disk is not touched: put PATH's documents there
too if the next full reindex is to keep them.
"""

import datetime
import json
import os
import shutil
import time
from pathlib import Path

from indexer.build import (
    BuildReport,
    Built,
    ShardJob,
    encoder_loader,
    regroup_store,
    routed,
    shard_of,
    write_build_manifest,
    write_shard,
)
from indexer.changes import MAX_DELETED_SHARE, MAX_SEGMENTS, Changes
from indexer.documents import Document, read_corpus
from indexer.duplicates import MAX_DAYS_APART, duplicate_groups
from indexer.failures import explained_write_errors
from indexer.generations import (
    next_generation_name,
    previous_generation,
    prune,
    reindex_lock,
    remove_incomplete_generations,
)
from indexer.keyword import segment_count
from search.embedded import store
from search.embedded.index_format import KEYWORD_DIR, STORE_FILE, Generation, shard_name, switch_current
from search.encoder import ENCODERS_DIR, Encoder, configured_model_name
from search.errors import ClinsearchError


def add_documents(
    path: Path, index_dir: Path, show_progress: bool = True, encoder: Encoder | None = None
) -> BuildReport:
    """Add the documents under ``path`` (a file or folder, any shape the corpus reader takes) to
    the current generation of ``index_dir`` as a new generation, and make it current.

    Raises:
        IndexLockedError: another reindex of ``index_dir`` is running.
        IndexWriteError: the disk is full, or ``index_dir`` cannot be written.
        ModelUnavailableError: the configured model is not on this machine.
        ClinsearchError: ``index_dir`` holds no index, it was built with another format, model,
            chunking or extraction, or ``path`` holds no readable document (nothing is switched).
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    nothing_to_add_to = ClinsearchError(
        f"{index_dir} holds no index to add to; build one first with: clinsearch reindex --corpus FOLDER"
    )
    if not index_dir.is_dir():
        raise nothing_to_add_to
    with explained_write_errors(index_dir), reindex_lock(index_dir):
        current = previous_generation(index_dir)
        if current is None:
            raise nothing_to_add_to
        loaded = read_corpus(Path(path))
        if not loaded.documents:
            raise ClinsearchError(f"No readable documents in {path}; the index was left as it was.")
        model_name = encoder.model_name if encoder else configured_model_name()
        shards = current.shards
        parts_routed = routed(loaded.documents, len(shards))
        changes = [Changes.adding(shard, part, model_name) for shard, part in zip(shards, parts_routed, strict=True)]
        added = [document for change in changes for document in change.added]
        if added:
            remove_incomplete_generations(index_dir)
            generation = next_generation_name(index_dir)
            encoder_of = encoder_loader(encoder, model_name, index_dir / ENCODERS_DIR)
            parts = _write(index_dir / generation, current, changes, encoder_of, show_progress)
            switch_current(index_dir, generation)
            prune(index_dir)
        else:
            generation = current.name
            parts = [(Built.held(shard), shard.manifest["document_hashes"]) for shard in shards]
        written = [index_dir / generation / shard.path.relative_to(current.path) for shard in shards]
        advice = _compaction_advice(written, [built for built, _ in parts])
    total = Built.combined([built for built, _ in parts])
    return BuildReport(
        index_dir,
        generation,
        sum(len(hashes) for _, hashes in parts),
        chunks=total.live_chunks,
        encoded=total.encoded,
        reused=total.added - total.encoded,
        seconds=time.perf_counter() - started,
        incremental=True,
        changed=len(added),
        problems=loaded.problems,
        field_report=loaded.report,
        shards=len(shards),
        advice=advice,
    )


def _write(
    generation_dir: Path, current: Generation, changes: list[Changes], encoder_of, show_progress: bool
) -> list[tuple[Built, dict[str, str]]]:
    """Write the new generation: each shard given documents extended, each holding a regrouped
    document relinked with a regrouped store, the others linked; then its manifest. Each
    shard's build and document hashes. On any failure nothing is left behind."""
    shards = current.shards
    sharded = len(shards) > 1
    generation_dir.mkdir()
    try:
        groups = extended_groups(shards, [document for change in changes for document in change.added])
        regrouped_shards = {shard_of(doc_id, len(shards)) for doc_id in groups}
        parts = []
        for number, (shard, change) in enumerate(zip(shards, changes, strict=True)):
            directory = generation_dir / shard_name(number) if sharded else generation_dir
            if change.added:
                built = write_shard(ShardJob(directory, change, shard, groups, sharded), encoder_of, show_progress)
                parts.append((built, change.document_hashes()))
                continue
            regrouped = groups if number in regrouped_shards else {}
            parts.append((_linked(shard, directory, regrouped, change.model_name), shard.manifest["document_hashes"]))
        hashes = {doc_id: hashed for _, part in parts for doc_id, hashed in part.items()}
        corpus = current.manifest.get("corpus")
        write_build_manifest(
            generation_dir,
            changes[0].model_name,
            hashes,
            current.manifest.get("problems", []),
            Path(corpus) if corpus else None,
            Built.combined([built for built, _ in parts]),
            {"shards": current.manifest["shards"]} if sharded else {},
        )
    except BaseException:  # KeyboardInterrupt too: the CLI turns SIGTERM into one
        shutil.rmtree(generation_dir, ignore_errors=True)
        raise
    return parts


def _linked(shard: Generation, directory: Path, groups: dict[str, str], model_name: str) -> Built:
    """``shard`` linked into ``directory``: every file of a generation is written once and never
    changed, so a link is a copy. With ``groups`` (some of its documents regrouped) the store
    is copied instead and takes the new group names, and the shard gets a manifest of its own."""
    shutil.copytree(shard.path, directory, copy_function=os.link)
    if groups:
        (directory / STORE_FILE).unlink()
        shutil.copy(shard.store_path, directory / STORE_FILE)
        regroup_store(directory / STORE_FILE, groups)
    built = Built.held(Generation(directory, shard.manifest))
    if groups:
        write_build_manifest(directory, model_name, shard.manifest["document_hashes"], [], None, built)
    return built


def extended_groups(shards: list[Generation], added: list[Document]) -> dict[str, str]:
    """The near-duplicate group of each added document, and the new group of each stored one
    whose group an added document joins (see the module docstring)."""
    replaced = {document.doc_id for document in added}
    named = [target for document in added if isinstance(target := document.metadata.get("same_news_as"), str)]
    connections = [store.open_read_only(shard.store_path) for shard in shards]
    try:
        near = [
            row
            for connection in connections
            for row in [
                *(row for first, last in _windows(added) for row in store.dated_between(connection, first, last)),
                *store.documents_where(connection, "doc_id", named + sorted(replaced)),
                *(row for row in store.naming_same_news(connection) if _names_one_of(row, replaced)),
            ]
        ]
        groups = sorted({row["group_id"] for row in near})  # their members may be in any shard
        members = [row for connection in connections for row in store.documents_where(connection, "group_id", groups)]
    finally:
        for connection in connections:
            connection.close()
    stored = {
        row["doc_id"]: (_stored_document(row), row["group_id"])
        for row in near + members
        if row["doc_id"] not in replaced
    }
    found = duplicate_groups(added + [document for document, _ in stored.values()], _chained(stored))
    return {
        doc_id: group_id for doc_id, group_id in found.items() if doc_id in replaced or stored[doc_id][1] != group_id
    }


def _chained(stored: dict[str, tuple[Document, str]]) -> list[tuple[str, str]]:
    """Pairs that keep each stored group together: its kept members one after another. A
    replaced member is not among them: its new version joins a group only as the rule finds it."""
    by_group: dict[str, list[str]] = {}
    for doc_id, (_, group_id) in stored.items():
        by_group.setdefault(group_id, []).append(doc_id)
    return [pair for members in by_group.values() for pair in zip(members, members[1:], strict=False)]


def _names_one_of(row, doc_ids: set[str]) -> bool:
    """Whether a stored document's ``same_news_as`` header names one of ``doc_ids``."""
    return json.loads(row["metadata"]).get("same_news_as") in doc_ids


def _compaction_advice(shard_dirs: list[Path], builts: list[Built]) -> str:
    """What to do when additions have piled up more Whoosh segments or deleted passages in a
    shard (written at ``shard_dirs``, holding ``builts``) than a reindex from the corpus lets
    stand (``indexer.changes``), which compacts them."""
    for directory, built in zip(shard_dirs, builts, strict=True):
        deleted = built.rows - built.live_chunks
        if segment_count(directory / KEYWORD_DIR) >= MAX_SEGMENTS or deleted > MAX_DELETED_SHARE * built.rows:
            return (
                f"Additions have left {'a shard of ' if len(builts) > 1 else ''}the index with many segments or "
                "deleted passages; a reindex from the corpus (--corpus) compacts it."
            )
    return ""


def _windows(documents: list[Document]) -> list[tuple[str, str]]:
    """The spans of days (first, last) within ``MAX_DAYS_APART`` of a dated document, overlapping ones merged."""
    reach = datetime.timedelta(days=MAX_DAYS_APART)
    days = sorted({datetime.date.fromisoformat(d.date) for d in documents if d.date})
    windows: list[list[datetime.date]] = []
    for day in days:
        if windows and day - reach <= windows[-1][1]:
            windows[-1][1] = day + reach
        else:
            windows.append([day - reach, day + reach])
    return [(first.isoformat(), last.isoformat()) for first, last in windows]


def _stored_document(row) -> Document:
    """A document as the store holds it, for comparing with added ones."""
    return Document(
        doc_id=row["doc_id"],
        title=row["title"],
        body=row["body"],
        path=row["path"],
        date=row["date"],
        company=row["company"],
        source=row["source"],
        url=row["url"],
        metadata=json.loads(row["metadata"]),
    )
