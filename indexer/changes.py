"""What a reindex has to do: which documents are new or changed since the current generation,
and whether extending that generation is better than building from nothing.

A generation is extended in place of a rebuild when it was written in this format, with the
same model and chunking: its chunks keep their ids, removed chunks stay as deleted rows, and
new chunks are appended. Deleted rows cost memory and scan time, and Whoosh opens one segment
per extension, so past ``MAX_DELETED_SHARE`` or ``MAX_SEGMENTS`` the next reindex compacts by
building from nothing (its vectors still come from the cache, so that costs analysis, not
embedding).
"""

import contextlib
from dataclasses import dataclass

from indexer import chunking
from indexer.documents import Document, content_hashes
from indexer.entities import extraction_fingerprint
from indexer.keyword import segment_count
from search.embedded import store
from search.embedded.index_format import FORMAT_VERSION, Generation
from search.errors import ClinsearchError

MAX_DELETED_SHARE = 0.2
MAX_SEGMENTS = 8


@dataclass
class Changes:
    """The corpus now, the generation to extend (None: build from nothing), and the difference."""

    documents: list[Document] | None  # None: documents added to ``base``, its others kept (``adding``)
    model_name: str
    base: Generation | None
    added: list[Document]  # new or changed documents
    removed_doc_ids: list[str]  # documents gone or changed since ``base``
    removed_chunk_ids: list[int]  # their chunks in ``base``

    @classmethod
    def between(cls, previous: Generation | None, documents: list[Document], model_name: str) -> "Changes":
        """The changes from ``previous`` to ``documents``; all of them when it cannot be extended."""
        rebuild = cls(documents, model_name, None, documents, [], [])
        if not _extendable(previous, model_name):
            return rebuild
        before = previous.manifest["document_hashes"]
        now = content_hashes(documents)
        removed = [doc_id for doc_id, content_hash in before.items() if now.get(doc_id) != content_hash]
        added = [document for document in documents if before.get(document.doc_id) != document.content_hash]
        removed_chunks = _chunk_ids(previous, removed)
        manifest = previous.manifest
        deleted = manifest["chunk_rows"] - manifest["chunks"] + len(removed_chunks)
        if deleted > MAX_DELETED_SHARE * manifest["chunk_rows"] or segment_count(previous.keyword_dir) >= MAX_SEGMENTS:
            return rebuild
        return cls(documents, model_name, previous, added, removed, removed_chunks)

    @classmethod
    def adding(cls, base: Generation, documents: list[Document], model_name: str) -> "Changes":
        """``documents`` added to ``base``, each replacing the document of its id there, if any
        (an unchanged one is left alone); ``base``'s other documents are kept.

        Raises:
            ClinsearchError: ``base`` was written with another format, model, chunking or
                extraction: only a full reindex can bring it up to date."""
        if not _extendable(base, model_name):
            raise ClinsearchError(
                f"{base.path} was built with another format, model, chunking or extraction; "
                "run a full reindex (--corpus) before adding documents to it."
            )
        held = base.manifest["document_hashes"]
        added = [document for document in documents if held.get(document.doc_id) != document.content_hash]
        removed = [document.doc_id for document in added if document.doc_id in held]
        return cls(None, model_name, base, added, removed, _chunk_ids(base, removed))

    def document_hashes(self) -> dict[str, str]:
        """Each document's content hash once the changes are made."""
        if self.documents is not None:
            return content_hashes(self.documents)
        removed = set(self.removed_doc_ids)
        kept = {
            doc_id: hashed for doc_id, hashed in self.base.manifest["document_hashes"].items() if doc_id not in removed
        }
        return kept | content_hashes(self.added)


def _extendable(previous: Generation | None, model_name: str) -> bool:
    if previous is None:
        return False
    manifest = previous.manifest
    return (
        manifest.get("format_version") == FORMAT_VERSION
        and manifest.get("model") == model_name
        and manifest.get("chunking") == chunking.SETTINGS
        and manifest.get("extraction") == extraction_fingerprint()
    )


def _chunk_ids(generation: Generation, doc_ids: list[str]) -> list[int]:
    if not doc_ids:
        return []
    marks = ",".join("?" * len(doc_ids))
    with contextlib.closing(store.open_read_only(generation.store_path)) as connection:
        rows = connection.execute(f"SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", doc_ids).fetchall()
    return [chunk_id for (chunk_id,) in rows]
