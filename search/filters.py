"""Filters by date range and by facet values, applied inside both retrievers alike.

The keyword side gets a Whoosh filter query; the semantic side a boolean mask over the chunk
rows of the embedding matrix, built from the same per-document facet values
(``search.facets.FacetIndex``). Either way the hybrid list only holds passages that pass.
"""

from dataclasses import dataclass

import numpy as np
from whoosh import query

from search.facets import FILTER_FACETS, FacetIndex, value_key


def facet_field(name: str) -> str:
    """The keyword-index field that holds a facet's value keys."""
    return f"facet_{name}"


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

    def keyword_filter(self) -> query.Query | None:
        """The Whoosh query that a chunk must match, or None when nothing filters."""
        parts = []
        if self.date_from or self.date_to:
            parts.append(query.TermRange("date", self.date_from or "0000-00-00", self.date_to or "9999-99-99"))
        for name, values in self.facets:
            parts.append(query.Or([query.Term(facet_field(name), value_key(value)) for value in values]))
        return query.And(parts) if parts else None

    def chunk_mask(self, facet_index: FacetIndex) -> np.ndarray | None:
        """Which chunk rows pass, or None when nothing filters."""
        documents = self.document_mask(facet_index)
        return None if documents is None else documents[facet_index.chunk_document]

    def document_mask(self, facet_index: FacetIndex) -> np.ndarray | None:
        """Which documents (by number) pass, or None when nothing filters."""
        if not self:
            return None
        dates = facet_index.dates
        mask = np.ones(len(dates), dtype=bool)
        if self.date_from:
            mask &= dates >= self.date_from
        if self.date_to:
            mask &= (dates <= self.date_to) & (dates != "")
        by_facet = facet_index.document_mask(self.selected)
        return mask if by_facet is None else mask & by_facet
