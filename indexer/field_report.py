"""The field report of a corpus read: what came under other names, what was kept unmapped, what is
missing, and what was dropped or cut by ``indexer.limits`` (links other than http/https, long bodies).

It counts documents, not records: a record skipped as a duplicate is not counted. A reindex prints
its few lines so that a corpus whose dates or companies were not found does not pass unnoticed.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from indexer.fields import ALIAS_NOTES, ATTRIBUTES, HEADER_FIELDS

if TYPE_CHECKING:
    from indexer.documents import Reading

EXAMPLES = 3  # values quoted of each kind lost (dates, links, cut bodies)
LISTED_ATTRIBUTES = 10  # unmapped field names listed before "and N more"


class Examples(list):
    """The first few ``(location, value)`` pairs of one kind, and in ``count`` how many there were in all."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def note(self, location: str, value) -> None:
        self.count += 1
        if len(self) < EXAMPLES:
            self.append((location, value))

    def listed(self, describe) -> str:
        """How many, and the first few as ``describe(location, value)`` gives them."""
        more = ", …" if self.count > len(self) else ""
        return f"{self.count:,}, as {', '.join(describe(location, value) for location, value in self)}{more}"


@dataclass
class FieldReport:
    """What reading a corpus did with the documents' fields."""

    documents: int = 0
    read_as: Counter = field(default_factory=Counter)  # (our field, the other name) → documents
    unmapped: Counter = field(default_factory=Counter)  # field kept in metadata, not read by us → documents
    missing: Counter = field(default_factory=Counter)  # header field → documents without it
    unreadable_dates: Examples = field(default_factory=Examples)  # (location, the date as written)
    dropped_urls: Examples = field(default_factory=Examples)  # (location, the link as written)
    cut_bodies: Examples = field(default_factory=Examples)  # (location, the body's length before the cut)
    max_document_chars: int = 0  # the body length bodies were cut to

    def add(self, reading: "Reading") -> None:
        """Count one document kept, and what of its date, link and body was lost."""
        document = reading.document
        self.documents += 1
        self.read_as.update(reading.read_as.items())
        self.unmapped.update(name for name in document.metadata if name not in ATTRIBUTES)
        self.missing.update(name for name in HEADER_FIELDS if not getattr(document, name))
        for examples, value in (
            (self.unreadable_dates, reading.unreadable_date),
            (self.dropped_urls, reading.dropped_url),
            (self.cut_bodies, reading.body_chars),
        ):
            if value:
                examples.note(reading.location, value)

    def lines(self) -> list[str]:
        """A few lines for people (one per renamed field at most); none when nothing was renamed,
        left unmapped, missing, dropped or cut."""
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
            dates = self.unreadable_dates.listed(_quoted)
            lines.append(f"Dates not read (no day, or an unknown form), left out: {dates}.")
        if self.dropped_urls:
            lines.append(f"Links left out, as only http and https ones are kept: {self.dropped_urls.listed(_quoted)}.")
        if self.cut_bodies:
            lines.append(
                f"Bodies cut to their first {self.max_document_chars:,} characters (CLINSEARCH_MAX_DOCUMENT_CHARS), "
                f"the rest not indexed: {self.cut_bodies.listed(_length)}."
            )
        return lines


def _quoted(location: str, value: str) -> str:
    shown = value if len(value) <= 80 else value[:79] + "…"
    return f"{shown!r} ({location})"


def _length(location: str, characters: int) -> str:
    return f"{location} ({characters:,} characters)"


def _renamed(ours: str, theirs: str, count: int) -> str:
    note = f": {ALIAS_NOTES[theirs]}" if theirs in ALIAS_NOTES else ""
    return f"{ours} ← {theirs} for {count:,} documents{note}"
