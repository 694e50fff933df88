"""The field report of a corpus read: what came under other names, what was kept unmapped, what is missing.

It counts documents, not records: a record skipped as a duplicate is not counted. A reindex prints
its few lines so that a corpus whose dates or companies were not found does not pass unnoticed.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from indexer.fields import ALIAS_NOTES, ATTRIBUTES, HEADER_FIELDS

if TYPE_CHECKING:
    from indexer.documents import Document

EXAMPLES = 3  # unreadable date values quoted
LISTED_ATTRIBUTES = 10  # unmapped field names listed before "and N more"


@dataclass
class FieldReport:
    """What reading a corpus did with the documents' fields."""

    documents: int = 0
    read_as: Counter = field(default_factory=Counter)  # (our field, the other name) → documents
    unmapped: Counter = field(default_factory=Counter)  # field kept in metadata, not read by us → documents
    missing: Counter = field(default_factory=Counter)  # header field → documents without it
    unreadable_dates: list[tuple[str, str]] = field(default_factory=list)  # (location, value), the first few
    unreadable_date_count: int = 0

    def add(self, document: "Document", read_as: dict[str, str], unreadable_date: str, location: str) -> None:
        """Count one document kept; ``unreadable_date`` is the date value it had but lost, if any."""
        self.documents += 1
        self.read_as.update(read_as.items())
        self.unmapped.update(name for name in document.metadata if name not in ATTRIBUTES)
        self.missing.update(name for name in HEADER_FIELDS if not getattr(document, name))
        if unreadable_date:
            self.unreadable_date_count += 1
            if len(self.unreadable_dates) < EXAMPLES:
                self.unreadable_dates.append((location, unreadable_date))

    def lines(self) -> list[str]:
        """A few lines for people (one per renamed field at most); none when nothing was renamed,
        left unmapped or missing."""
        lines = []
        if self.read_as:
            lines.append("Read under other names:")
            lines += [f"  {_renamed(ours, theirs, count)}" for (ours, theirs), count in self.read_as.most_common()]
        if self.unmapped:
            kept = [f"{name} ({count:,})" for name, count in self.unmapped.most_common(LISTED_ATTRIBUTES)]
            more = f" and {len(self.unmapped) - len(kept)} more" if len(self.unmapped) > len(kept) else ""
            lines.append(f"Not mapped, kept as document attributes: {', '.join(kept)}{more}.")
        if self.missing:
            lacking = ", ".join(f"{name} in {count:,}" for name, count in self.missing.most_common())
            lines.append(f"Missing: {lacking} of {self.documents:,} documents.")
        if self.unreadable_dates:
            quoted = ", ".join(f"{value!r} ({location})" for location, value in self.unreadable_dates)
            more = ", …" if self.unreadable_date_count > len(self.unreadable_dates) else ""
            count = self.unreadable_date_count
            lines.append(f"Dates not read (no day, or an unknown form), left out: {count:,}, as {quoted}{more}.")
        return lines


def _renamed(ours: str, theirs: str, count: int) -> str:
    note = f": {ALIAS_NOTES[theirs]}" if theirs in ALIAS_NOTES else ""
    return f"{ours} ← {theirs} for {count:,} documents{note}"
