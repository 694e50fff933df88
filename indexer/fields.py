"""Field names: which of a record's fields become a document's header, under what other names.

Exports and feeds name the same thing differently (``pubDate``, ``published_at``, ``link``,
``ticker``…). The table below is the one place those names are listed; ``map_fields`` renames a
record's fields to ours and says which other names it used, so the loader can report them.
"""

import datetime
import re
from dataclasses import dataclass

from dateutil import parser as date_parser

HEADER_FIELDS = ("title", "date", "company", "source", "url")

# Fields kept in ``Document.metadata`` that clinsearch reads (entities, facets, duplicates); the
# header format of corpus/README.md. Any other field is kept too, and reported as not mapped.
ATTRIBUTES = (
    "language",
    "event",
    "drugs",
    "targets",
    "modality",
    "indications",
    "phase",
    "regulator",
    "designations",
    "programme",
    "same_news_as",
)

# Our field → the names that are ours for it (the BEIR corpus format's included); the field's own
# name when not listed here.
OWN_NAMES = {"id": ("_id", "id"), "body": ("text", "body")}

# Our field → other names for it, read when no own name gives a value, in order of preference.
# Names match ignoring case and the characters ``_ - : .`` and spaces, so ``pubDate`` also
# covers ``pub_date`` and ``PubDate``.
ALIASES = {
    "title": ("headline",),
    "date": (
        "published",
        "pubDate",
        "published_at",
        "publication_date",
        "publish_date",
        "datePublished",
        "date_published",
        "published_eastern",  # the GlobeNewswire CSV
        "release_date",
        "dc:date",
    ),
    "url": ("link", "href"),
    "company": ("ticker", "sponsor", "issuer"),  # sponsor: ClinicalTrials.gov records
    "language": ("lang", "inLanguage"),
    "body": ("content", "articleBody", "summary", "abstract", "description"),
}

# What the report adds about a name whose values are not what our field usually holds.
ALIAS_NOTES = {"ticker": "tickers, no company names", "sponsor": "trial sponsors"}

TEXT_FILE_FIELDS = ("id", *HEADER_FIELDS, "language")  # what a Markdown or HTML header is read for
RECORD_FIELDS = (*TEXT_FILE_FIELDS, "body")  # a JSON or CSV record holds its text among its fields

# Any values that differ between these two defaults were missing from the date as written.
_PROBE_DEFAULTS = (datetime.datetime(2000, 1, 1), datetime.datetime(2001, 2, 2))


@dataclass
class MappedRecord:
    """A record's fields under our names, the rest as they came, and which other names were read."""

    fields: dict  # our field → value
    attributes: dict  # every other field with a value
    read_as: dict[str, str]  # our field → the other name its value came from


def map_fields(record: dict, fields: tuple[str, ...]) -> MappedRecord:
    """``record``'s values for ``fields``, found under their own names or else under ``ALIASES``.

    A ``metadata`` object is read as if its fields were top-level ones; a top-level field wins
    where both give one. Blank values (``None``, empty or white-space strings) are dropped.
    """
    merged = {key: value for key, value in record.items() if not (key == "metadata" and isinstance(value, dict))}
    if isinstance(record.get("metadata"), dict):
        for key, value in record["metadata"].items():
            merged.setdefault(key, value)
    rest = {key: value for key, value in merged.items() if not _is_blank(value)}
    mapped = MappedRecord({}, rest, {})
    for name in fields:
        own = OWN_NAMES.get(name, (name,))
        key = _first_present(rest, own + ALIASES.get(name, ()))
        if key is None:
            continue
        mapped.fields[name] = rest.pop(key)
        if _normal(key) not in {_normal(candidate) for candidate in own}:
            mapped.read_as[name] = key
    return mapped


def iso_date(value) -> str | None:
    """``YYYY-MM-DD`` for a date in a common spelling, as written (no time-zone shift); ``""``
    for no date; None when it is not a whole date (``March 2024`` names no day)."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if _is_blank(value):
        return ""
    try:
        # ignoretz: the day as written, and no warning about zone names such as "ET"
        first, second = (
            date_parser.parse(str(value), default=default, ignoretz=True).date() for default in _PROBE_DEFAULTS
        )
    except (ValueError, OverflowError):
        return None
    return first.isoformat() if first == second else None


def _first_present(record: dict, names: tuple[str, ...]) -> str | None:
    """The record's key that spells the earliest of ``names``; a header field takes no object."""
    keys = {}
    for key, value in record.items():
        if not isinstance(value, dict):
            keys.setdefault(_normal(key), key)
    return next((keys[_normal(name)] for name in names if _normal(name) in keys), None)


def _normal(name: str) -> str:
    return re.sub(r"[\s_.:-]", "", str(name).lower())


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
