"""Filters by date range and by facet values, applied inside both retrievers alike.

A filter picks documents from the document table (``search.document_table``); each retriever
is given the chunks of those documents as a mask over chunk rows, so a hybrid list only holds
passages that pass.
"""

from dataclasses import dataclass

import numpy as np

from search.document_table import DocumentTable
from search.facets import FILTER_FACETS, value_key


@dataclass(frozen=True)
class Filters:
    """What a result must satisfy; empty fields do not filter. Dates are ISO ``YYYY-MM-DD``;
    ``facets`` pairs a facet name (``search.facets.FILTER_FACETS``) with the values accepted."""

    date_from: str | None = None
    date_to: str | None = None
    facets: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def of(cls, date_from: str | None = None, date_to: str | None = None, **selected) -> "Filters":
        """``Filters.of(event=("approval",), regulator=("NMPA",))``; empty selections are dropped."""
        unknown = set(selected) - set(FILTER_FACETS)
        if unknown:
            raise ValueError(f"unknown facets: {', '.join(sorted(unknown))}")
        chosen = tuple((name, tuple(values)) for name, values in selected.items() if values)
        return cls(date_from, date_to, chosen)

    @property
    def selected(self) -> dict[str, tuple[str, ...]]:
        return dict(self.facets)

    def __bool__(self) -> bool:
        return bool(self.date_from or self.date_to or self.facets)

    def chunk_mask(self, table: DocumentTable) -> np.ndarray | None:
        """Which chunk rows pass, or None when nothing filters."""
        documents = self.document_mask(table)
        return None if documents is None else documents[table.chunk_document]

    def document_mask(self, table: DocumentTable) -> np.ndarray | None:
        """Which documents (by number) pass, or None when nothing filters."""
        if not self:
            return None
        dates = table.dates
        mask = np.ones(len(dates), dtype=bool)
        if self.date_from:
            mask &= dates >= self.date_from
        if self.date_to:
            mask &= (dates <= self.date_to) & (dates != "")
        for name, chosen in self.facets:  # any chosen value of a facet, every facet chosen
            allowed = np.zeros(len(dates), dtype=bool)
            for value in chosen:
                allowed[table.keys[name].get(value_key(value), [])] = True
            mask &= allowed
        return mask
