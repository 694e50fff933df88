"""Results in the formats other tools read: an Atom feed (feedgen) and CSV."""

import csv
import datetime
import io

from feedgen.feed import FeedGenerator

CSV_COLUMNS = ("rank", "date", "title", "company", "source", "event", "doc_id", "url", "score", "passage")


def atom_feed(results: dict, feed_url: str, page_url: str) -> bytes:
    """An Atom feed of ``results`` (already newest first): one entry per announcement."""
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(f"clinsearch: {results['query']}")
    feed.link(href=feed_url, rel="self")
    feed.link(href=page_url, rel="alternate")
    feed.subtitle(f"Announcements matching {results['query']!r}, newest first")
    feed.updated(_timestamp(max((hit["date"] for hit in results["hits"] if hit["date"]), default="")))
    for hit in reversed(results["hits"]):  # feedgen prepends: add oldest first
        entry = feed.add_entry()
        entry.id(hit["url"] or f"{page_url}#{hit['doc_id']}")
        entry.title(hit["title"])
        entry.link(href=hit["url"] or page_url)
        entry.updated(_timestamp(hit["date"]))
        entry.summary(hit["passage"]["text"])
        if hit["source"]:
            entry.author(name=hit["source"])
    return feed.atom_str(pretty=True)


def _timestamp(date: str) -> datetime.datetime:
    """An ISO date as midnight UTC (Atom wants a full timestamp); today when there is none."""
    day = datetime.date.fromisoformat(date) if date else datetime.date.today()
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def results_csv(results: dict) -> str:
    """The hits of ``results`` as CSV with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for hit in results["hits"]:
        row = {**hit, "event": hit["entities"].get("event", ""), "passage": hit["passage"]["text"]}
        writer.writerow([_safe_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


def _safe_cell(value):
    """A text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) gets a
    leading apostrophe, so an exported title can never execute."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
