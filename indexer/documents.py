"""Loading documents from files: Markdown/text with a YAML header, HTML pages, JSON and JSON Lines.

Every reader yields ``Document``s; a file or record that cannot be read becomes a ``Problem``
naming the file (and line) instead of stopping the run, so one bad file loses nothing else.
"""

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml
from dateutil import parser as date_parser

from indexer.cleaning import html_to_text, strip_furniture_lines

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".json", ".jsonl")
HEADER_FIELDS = ("title", "date", "company", "source", "url")
SKIPPED_NAMES = ("readme.md", "readme.txt")


@dataclass
class Document:
    """One announcement: its text, the header fields every document has, and any others."""

    doc_id: str
    title: str
    body: str
    path: str
    date: str = ""
    company: str = ""
    source: str = ""
    url: str = ""
    metadata: dict = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything indexed about the document changes."""
        fields = [
            self.title,
            self.body,
            self.date,
            self.company,
            self.source,
            self.url,
            json.dumps(self.metadata, sort_keys=True, default=str),
        ]
        return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


@dataclass
class Problem:
    """A file or record that was skipped, and why."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


def corpus_files(corpus: Path) -> list[Path]:
    """The readable files of a corpus folder (recursively) or the one file given, sorted."""
    corpus = Path(corpus)
    if corpus.is_file():
        return [corpus]
    if not corpus.is_dir():
        raise FileNotFoundError(f"No corpus at {corpus}: give a folder or a file.")
    return sorted(
        path
        for path in corpus.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUFFIXES
        and path.name.lower() not in SKIPPED_NAMES
        and not any(part.startswith(".") for part in path.relative_to(corpus).parts)
    )


def load_corpus(corpus: Path) -> tuple[list[Document], list[Problem]]:
    """All documents under ``corpus`` and the problems met; document ids are unique."""
    documents: dict[str, Document] = {}
    problems: list[Problem] = []
    for path in corpus_files(corpus):
        for item in read_file(path, Path(corpus)):
            if isinstance(item, Problem):
                problems.append(item)
            elif item.doc_id in documents:
                problems.append(
                    Problem(
                        item.path,
                        f"duplicate document id {item.doc_id!r} (first in {documents[item.doc_id].path}); skipped",
                    )
                )
            else:
                documents[item.doc_id] = item
    return list(documents.values()), problems


def read_file(path: Path, root: Path) -> Iterator[Document | Problem]:
    """The documents in one file, or the problem that stopped it from being read."""
    relative = str(path.relative_to(root)) if root.is_dir() else path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        yield Problem(relative, f"cannot be read as UTF-8 text ({error})")
        return
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _read_json_lines(text, relative)
    elif suffix == ".json":
        yield from _read_json(text, relative)
    else:
        try:
            yield _read_text(text, relative, path.stem, is_html=suffix in (".html", ".htm"))
        except (ValueError, TypeError, yaml.YAMLError) as error:
            yield Problem(relative, str(error).splitlines()[0])


def _read_text(text: str, relative: str, stem: str, is_html: bool) -> Document:
    if is_html:
        body, header = html_to_text(text)
    else:
        post = frontmatter.loads(text)
        header, body = dict(post.metadata), strip_furniture_lines(post.content)
    if not header:
        header, body = _header_from_lines(body)
    if not header.get("title"):
        header["title"], body = _title_from_body(body)
    header.setdefault("id", stem)
    return _document(header, body, relative)


def _read_json(text: str, relative: str) -> Iterator[Document | Problem]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        yield Problem(relative, f"is not valid JSON ({error})")
        return
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        yield _record(record, f"{relative} item {number}" if isinstance(data, list) else relative, relative)


def _read_json_lines(text: str, relative: str) -> Iterator[Document | Problem]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield Problem(f"{relative} line {number}", f"is not valid JSON ({error}); skipped")
            continue
        yield _record(record, f"{relative} line {number}", relative)


def _record(record, location: str, relative: str) -> Document | Problem:
    """A JSON object as a document: ``_id``/``id``, ``title``, ``text``/``body``/``content``."""
    if not isinstance(record, dict):
        return Problem(location, "is not a JSON object; skipped")
    header = dict(record)
    body = next((header.pop(key) for key in ("text", "body", "content") if isinstance(header.get(key), str)), "")
    if "_id" in header:
        header["id"] = header.pop("_id")
    if header.get("id") in (None, ""):
        return Problem(location, "has no `_id` or `id`; skipped")
    if not header.get("title"):
        header["title"], body = _title_from_body(body)
    try:
        return _document(header, strip_furniture_lines(body), relative)
    except ValueError as error:
        return Problem(location, str(error))


def _header_from_lines(body: str) -> tuple[dict, str]:
    """A saved page's leading date and ``Source:`` lines, taken as its header."""
    header: dict = {}
    lines = body.strip().splitlines()
    while lines:
        line = lines[0].strip()
        if line.lower().startswith("source:"):
            header["source"] = line.split(":", 1)[1].strip()
        elif line and len(line) <= 40 and "date" not in header and _looks_like_date(line):
            header["date"] = line
        elif line:
            break
        lines.pop(0)
    return header, "\n".join(lines)


def _looks_like_date(text: str) -> bool:
    try:
        date_parser.parse(text, fuzzy=False)
    except (ValueError, OverflowError):
        return False
    return any(character.isalpha() for character in text) or "-" in text or "/" in text


def _title_from_body(body: str) -> tuple[str, str]:
    """A header-less text's first line as its title (a long first line is kept in the body)."""
    lines = body.strip().splitlines()
    first = lines[0].lstrip("# ").strip() if lines else ""
    if 0 < len(first) <= 200:
        return first, "\n".join(lines[1:]).strip()
    return " ".join(first.split()[:12]) + ("…" if len(first.split()) > 12 else ""), body


def _document(header: dict, body: str, relative: str) -> Document:
    if not body.strip() and not str(header.get("title", "")).strip():
        raise ValueError("has no text; skipped")
    metadata = {key: _plain(value) for key, value in header.items() if key not in HEADER_FIELDS + ("id",)}
    return Document(
        doc_id=str(header["id"]),
        title=str(header.get("title") or "").strip(),
        body=body.strip(),
        path=relative,
        date=_iso_date(header.get("date"), relative),
        company=str(header.get("company") or ""),
        source=str(header.get("source") or ""),
        url=str(header.get("url") or ""),
        metadata=metadata,
    )


def _iso_date(value, relative: str) -> str:
    """``YYYY-MM-DD`` for a date in any common spelling; an unreadable date is an error."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return date_parser.parse(str(value), fuzzy=False).date().isoformat()
    except (ValueError, OverflowError) as error:
        raise ValueError(f"has an unreadable date {value!r} ({error}); skipped") from None


def _plain(value):
    """Header values as JSON-friendly data (YAML dates become ISO strings)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value
