"""The document and chunk store (SQLite): its tables are defined here, on the reader's side."""

import json
import sqlite3
from pathlib import Path

TABLES = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    date TEXT NOT NULL,
    company TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE chunks (
    chunk_id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL
);
CREATE INDEX chunks_by_document ON chunks(doc_id, ordinal);
"""

DOCUMENT_FIELDS = ("doc_id", "title", "date", "company", "source", "url")


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; a generation never changes once written, hence ``immutable``."""
    connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    return connection


def chunks_by_id(connection: sqlite3.Connection, chunk_ids: list[int]) -> dict[int, sqlite3.Row]:
    """The chunk rows for ``chunk_ids``, keyed by id."""
    if not chunk_ids:
        return {}
    marks = ",".join("?" * len(chunk_ids))
    rows = connection.execute(f"SELECT * FROM chunks WHERE chunk_id IN ({marks})", chunk_ids)
    return {row["chunk_id"]: row for row in rows}


def documents_by_id(connection: sqlite3.Connection, doc_ids: list[str]) -> dict[str, dict]:
    """The public metadata of the documents ``doc_ids`` (no body), keyed by id."""
    if not doc_ids:
        return {}
    marks = ",".join("?" * len(doc_ids))
    columns = ", ".join(DOCUMENT_FIELDS + ("metadata",))
    rows = connection.execute(f"SELECT {columns} FROM documents WHERE doc_id IN ({marks})", doc_ids)
    return {row["doc_id"]: _public(row) for row in rows}


def _public(row: sqlite3.Row) -> dict:
    document = {field: row[field] for field in DOCUMENT_FIELDS}
    document["metadata"] = json.loads(row["metadata"])
    return document
