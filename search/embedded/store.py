"""The document and chunk store (SQLite): its tables are defined here, on the reader's side."""

import json
import sqlite3
from pathlib import Path

# The documents whose header may name another they retell (the caller reads the header).
_NAMING_SAME_NEWS = "metadata LIKE '%\"same_news_as\"%'"

# These two indexes serve adding documents (``indexer.additions``), which otherwise scans every
# document, bodies and all, for the stored ones a new one could retell: at a million passages,
# seconds of adding one release. A store written before them answers the same, by that scan,
# until an incremental reindex or an addition copies it and adds them.
ADDITION_INDEXES = f"""
CREATE INDEX IF NOT EXISTS documents_by_date ON documents(date);
CREATE INDEX IF NOT EXISTS documents_naming_same_news ON documents(doc_id) WHERE {_NAMING_SAME_NEWS};
"""

TABLES = f"""
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
    entities TEXT NOT NULL,     -- JSON: indexer.entities.document_entities
    group_id TEXT NOT NULL,     -- near-duplicate group: the doc_id of its first version
    body TEXT NOT NULL
);
CREATE INDEX documents_by_group ON documents(group_id);
{ADDITION_INDEXES}CREATE TABLE chunks (
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

DOCUMENT_FIELDS = ("doc_id", "title", "date", "company", "source", "url", "group_id")
_JSON_FIELDS = ("metadata", "entities")


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; a generation never changes once written, hence ``immutable``."""
    connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    return connection


def open_for_writing(path: Path) -> sqlite3.Connection:
    """A connection that may write, for the indexer filling a generation not yet made current;
    the file is created if missing."""
    return sqlite3.connect(path)


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
    columns = ", ".join(DOCUMENT_FIELDS + _JSON_FIELDS)
    rows = connection.execute(f"SELECT {columns} FROM documents WHERE doc_id IN ({marks})", doc_ids)
    return {row["doc_id"]: _public(row) for row in rows}


def document_with_body(connection: sqlite3.Connection, doc_id: str) -> dict | None:
    """One document's metadata, body and passages, or None if the generation has no such id."""
    columns = ", ".join(DOCUMENT_FIELDS + _JSON_FIELDS + ("body",))
    row = connection.execute(f"SELECT {columns} FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
    if row is None:
        return None
    document = _public(row)
    document["body"] = row["body"]
    chunks = connection.execute(
        "SELECT chunk_id, ordinal, start, end FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,)
    )
    document["chunks"] = [dict(chunk) for chunk in chunks]
    return document


def group_members(connection: sqlite3.Connection, group_ids: list[str]) -> dict[str, list[dict]]:
    """The documents of each near-duplicate group in ``group_ids``, oldest first."""
    if not group_ids:
        return {}
    marks = ",".join("?" * len(group_ids))
    columns = ", ".join(DOCUMENT_FIELDS + _JSON_FIELDS)
    rows = connection.execute(
        f"SELECT {columns} FROM documents WHERE group_id IN ({marks}) ORDER BY date, doc_id", group_ids
    )
    members: dict[str, list[dict]] = {group_id: [] for group_id in group_ids}
    for row in rows:
        members[row["group_id"]].append(_public(row))
    return members


def _public(row: sqlite3.Row) -> dict:
    document = {field: row[field] for field in DOCUMENT_FIELDS}
    for field in _JSON_FIELDS:
        document[field] = json.loads(row[field])
    return document


def table_rows(connection: sqlite3.Connection) -> list[sqlite3.Row]:
    """What the document table holds of every document, by doc_id: one index and a set of
    shards then number documents alike, so that equal scores rank alike (``Fused.best_first``)."""
    return connection.execute(
        "SELECT doc_id, company, source, date, entities, group_id FROM documents ORDER BY doc_id"
    ).fetchall()


def chunk_owners(connection: sqlite3.Connection) -> list[tuple[int, str]]:
    """Every live chunk's id and document."""
    return connection.execute("SELECT chunk_id, doc_id FROM chunks").fetchall()


def group_ids(connection: sqlite3.Connection) -> set[str]:
    """The near-duplicate groups the documents belong to."""
    return {group_id for (group_id,) in connection.execute("SELECT DISTINCT group_id FROM documents")}


def dated_between(connection: sqlite3.Connection, first: str, last: str) -> list[sqlite3.Row]:
    """Every column of the documents dated from ``first`` to ``last`` (ISO days), body included:
    the stored announcements a new one could retell (``indexer.additions``)."""
    return connection.execute("SELECT * FROM documents WHERE date BETWEEN ? AND ?", (first, last)).fetchall()


def documents_where(connection: sqlite3.Connection, column: str, values: list[str]) -> list[sqlite3.Row]:
    """Every column, body included, of the documents whose ``column`` (``doc_id`` or
    ``group_id``) is one of ``values``."""
    if column not in ("doc_id", "group_id"):
        raise ValueError(f"documents are looked up by doc_id or group_id, not {column!r}")
    if not values:
        return []
    marks = ",".join("?" * len(values))
    return connection.execute(f"SELECT * FROM documents WHERE {column} IN ({marks})", values).fetchall()


def naming_same_news(connection: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every column of the documents whose header has a ``same_news_as`` field (and of a few
    whose metadata merely mentions it: the caller reads the header)."""
    return connection.execute(f"SELECT * FROM documents WHERE {_NAMING_SAME_NEWS}").fetchall()


def chunks_with_text_hashes(connection: sqlite3.Connection, hashes: list[str]) -> list[tuple[int, str]]:
    """``(chunk_id, text_hash)`` of the chunks whose text hash is one of ``hashes``: a temporary
    table of them is joined, one pass over the chunks however many are asked for."""
    connection.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_hashes (text_hash TEXT PRIMARY KEY)")
    connection.execute("DELETE FROM wanted_hashes")
    connection.executemany("INSERT OR IGNORE INTO wanted_hashes VALUES (?)", ((value,) for value in hashes))
    return connection.execute("SELECT chunk_id, text_hash FROM chunks JOIN wanted_hashes USING (text_hash)").fetchall()
