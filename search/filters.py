"""Filters by date range, source and company, applied inside both retrievers alike.

The keyword side gets a Whoosh filter query; the semantic side a boolean mask over the chunk
rows of the embedding matrix, built from the same per-chunk columns. Either way the hybrid list
only ever holds passages that pass.
"""

import sqlite3
from dataclasses import dataclass

import numpy as np
from whoosh import query


def filter_key(value: str) -> str:
    """How a source or company is compared: case and surrounding space do not matter."""
    return " ".join(value.lower().split())


@dataclass(frozen=True)
class ChunkColumns:
    """Per-chunk document fields, row i for chunk i: for masking the embedding matrix, and for
    mapping chunks to documents without a store lookup."""

    doc_ids: np.ndarray
    dates: np.ndarray
    sources: np.ndarray
    companies: np.ndarray

    @classmethod
    def load(cls, connection: sqlite3.Connection) -> "ChunkColumns":
        rows = connection.execute(
            "SELECT doc_id, d.date, d.source, d.company"
            " FROM chunks c JOIN documents d USING (doc_id) ORDER BY c.chunk_id"
        ).fetchall()
        doc_ids, dates, sources, companies = zip(*rows, strict=True) if rows else ((), (), (), ())
        return cls(
            np.array(doc_ids, dtype=object),
            np.array(dates, dtype="<U10"),
            np.array([filter_key(source) for source in sources], dtype=object),
            np.array([filter_key(company) for company in companies], dtype=object),
        )


@dataclass(frozen=True)
class Filters:
    """What a result must satisfy; empty fields do not filter. Dates are ISO ``YYYY-MM-DD``."""

    date_from: str | None = None
    date_to: str | None = None
    sources: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.date_from or self.date_to or self.sources or self.companies)

    def keyword_filter(self) -> query.Query | None:
        """The Whoosh query that a chunk must match, or None when nothing filters."""
        parts = []
        if self.date_from or self.date_to:
            parts.append(query.TermRange("date", self.date_from or "0000-00-00", self.date_to or "9999-99-99"))
        if self.sources:
            parts.append(query.Or([query.Term("source_key", filter_key(value)) for value in self.sources]))
        if self.companies:
            parts.append(query.Or([query.Term("company_key", filter_key(value)) for value in self.companies]))
        return query.And(parts) if parts else None

    def chunk_mask(self, columns: ChunkColumns) -> np.ndarray | None:
        """Which chunk rows pass, or None when nothing filters."""
        if not self:
            return None
        mask = np.ones(len(columns.dates), dtype=bool)
        if self.date_from:
            mask &= columns.dates >= self.date_from
        if self.date_to:
            mask &= (columns.dates <= self.date_to) & (columns.dates != "")
        if self.sources:
            mask &= np.isin(columns.sources, [filter_key(value) for value in self.sources])
        if self.companies:
            mask &= np.isin(columns.companies, [filter_key(value) for value in self.companies])
        return mask
