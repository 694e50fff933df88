"""Results in the formats other tools read: an Atom feed (feedgen), CSV and JSON Lines.

The feed holds one page; the CSV and JSON Lines exports hold the whole result list, written
row by row as the searcher yields it, so a long export never sits in memory whole.
"""

import csv
import datetime
import io
import json
import re
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from search.links import web_link

EXPORT_COLUMNS = (
    "rank",
    "date",
    "title",
    "company",
    "source",
    "url",
    "event",
    "designations",
    "drugs",
    "targets",
    "indications",
    "phase",
    "regulator",
    "territory",
    "doc_id",
    "score",
    "passage",
)
# Export column → the entity lists it joins (``drugs`` holds both codes and names).
ENTITY_COLUMNS = {
    "designations": ("designations",),
    "drugs": ("drug_codes", "drug_names"),
    "targets": ("targets",),
    "indications": ("indications",),
    "phase": ("phases",),
    "regulator": ("regulators",),
    "territory": ("territories",),
}
LIST_SEPARATOR = "; "

# Control characters (but tab, line feed and carriage return), DEL, the C1 controls and the two
# non-characters: XML 1.0 forbids most of them (lxml refuses a NUL), and in a spreadsheet cell
# they are invisible junk at best.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# What a spreadsheet may read as the start of a formula (OWASP's list for CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def atom_feed(results: dict, feed_url: str, page_url: str) -> bytes:
    """An Atom feed of ``results`` (already newest first): one entry per announcement."""
    subject = _printable(results["query"]) or "the chosen filters"
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(f"clinsearch: {subject}")
    feed.link(href=feed_url, rel="self")
    feed.link(href=page_url, rel="alternate")
    feed.subtitle(f"Announcements matching {subject}, newest first")
    feed.updated(_timestamp(max((hit["date"] for hit in results["hits"] if hit["date"]), default="")))
    for hit in reversed(results["hits"]):  # feedgen prepends: add oldest first
        link = web_link(hit["url"])  # a reader follows it: never a script's address
        entry = feed.add_entry()
        entry.id(link or f"{page_url}#{quote(hit['doc_id'], safe='')}")
        entry.title(_printable(hit["title"]))
        entry.link(href=link or page_url)
        entry.updated(_timestamp(hit["date"]))
        entry.summary(_printable(hit["passage"]["text"]))
        if hit["source"]:
            entry.author(name=_printable(hit["source"]))
    return feed.atom_str(pretty=True)


def _timestamp(date: str) -> datetime.datetime:
    """An ISO date as midnight UTC (Atom wants a full timestamp); today when there is none."""
    day = datetime.date.fromisoformat(date) if date else datetime.date.today()
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def export_row(hit: dict) -> dict:
    """What an export says about one hit, by ``EXPORT_COLUMNS``; entity columns are lists."""
    entities = hit["entities"]
    row = {name: hit[name] for name in ("rank", "date", "title", "company", "source", "url", "doc_id", "score")}
    row["event"] = entities.get("event", "")
    for column, kinds in ENTITY_COLUMNS.items():
        values = [value for kind in kinds for value in entities.get(kind) or []]
        row[column] = list(dict.fromkeys(values))  # a drug's code and name may be spelt alike
    row["passage"] = hit["passage"]["text"]
    return {column: row[column] for column in EXPORT_COLUMNS}


def csv_lines(hits: Iterable[dict]) -> Iterator[str]:
    """A header line, then one CSV line per hit: lists joined with ``LIST_SEPARATOR``, text
    cells made safe for spreadsheets (``_safe_cell``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    for hit in hits:
        buffer.seek(0)
        buffer.truncate()
        row = export_row(hit)
        writer.writerow([_safe_cell(_joined(row[column])) for column in EXPORT_COLUMNS])
        yield buffer.getvalue()


def jsonl_lines(hits: Iterable[dict]) -> Iterator[str]:
    """One JSON object per hit and line, with the columns of the CSV export (lists as lists)."""
    for hit in hits:
        yield json.dumps(export_row(hit), ensure_ascii=False) + "\n"


def _joined(value):
    return LIST_SEPARATOR.join(value) if isinstance(value, list) else value


def _safe_cell(value):
    """A text cell without control characters, and with a leading apostrophe if a spreadsheet
    would run it as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return), so an exported title can never execute. Numbers pass unchanged."""
    if not isinstance(value, str):
        return value
    value = _printable(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _printable(text: str) -> str:
    return _CONTROL_CHARACTERS.sub("", text)
