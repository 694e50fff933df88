"""Loading documents from files: Markdown/text with a YAML header, HTML pages, JSON, JSON Lines and CSV.

Every reader yields ``Document``s; a file or record that cannot be read becomes a ``Problem``
naming the file (and line) instead of stopping the run, so one bad file loses nothing else.
``indexer.limits`` bounds what a record may hold (nesting, YAML aliases, link schemes, body length).
Header fields are found under our names or the other names listed in ``indexer.fields``, and a
``FieldReport`` says what was read under another name, kept unmapped, or missing.
"""

import csv
import datetime
import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from dateutil import parser as date_parser

from indexer import limits
from indexer.cleaning import html_to_text, strip_furniture_lines
from indexer.field_report import FieldReport
from indexer.fields import RECORD_FIELDS, TEXT_FILE_FIELDS, MappedRecord, iso_date, map_fields
from search.links import web_link

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".json", ".jsonl", ".csv")
COMPRESSIBLE = (".json", ".jsonl", ".csv")  # also read gzip-compressed, as name.jsonl.gz
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


@dataclass
class Reading:
    """A document as read: where it was, and what the field report counts about it."""

    document: Document
    location: str
    read_as: dict[str, str]  # our field → the other name its value came from
    unreadable_date: str = ""  # the date value given but not understood
    dropped_url: str = ""  # the link given but not kept, as it is not an http or https one
    body_chars: int = 0  # the body's length before it was cut to the size limit; 0 when kept whole


@dataclass
class Corpus:
    """A corpus as read: its documents (ids unique), the records skipped, and the field report."""

    documents: list[Document]
    problems: list[Problem]
    report: FieldReport


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
        and file_format(path) in SUFFIXES
        and path.name.lower() not in SKIPPED_NAMES
        and not any(part.startswith(".") for part in path.relative_to(corpus).parts)
    )


def file_format(path: Path) -> str:
    """The suffix that says how to read ``path``: a compressed file's inner one (``.jsonl.gz`` → ``.jsonl``)."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        inner = Path(path.stem).suffix.lower()
        return inner if inner in COMPRESSIBLE else suffix
    return suffix


def read_corpus(corpus: Path) -> Corpus:
    """All documents under ``corpus``, the problems met, and what was done with their fields.

    Raises:
        FileNotFoundError: ``corpus`` is neither a folder nor a file.
        ClinsearchError: ``CLINSEARCH_MAX_DOCUMENT_CHARS`` is set to something other than a number above zero.
    """
    max_chars = limits.max_document_chars()
    readings: dict[str, Reading] = {}
    problems: list[Problem] = []
    report = FieldReport(max_document_chars=max_chars)
    for path in corpus_files(corpus):
        for item in read_file(path, Path(corpus)):
            if isinstance(item, Problem):
                problems.append(item)
            elif (first := readings.get(item.document.doc_id)) is not None:
                problems.append(
                    Problem(
                        item.location,
                        f"duplicate document id {item.document.doc_id!r} (first at {first.location}); skipped",
                    )
                )
            else:
                readings[item.document.doc_id] = _within_size_limit(item, max_chars)
                report.add(item)
    return Corpus([reading.document for reading in readings.values()], problems, report)


def content_hashes(documents: Iterable[Document]) -> dict[str, str]:
    """Each document's ``content_hash`` by doc_id: what a manifest records of a corpus."""
    return {document.doc_id: document.content_hash for document in documents}


def load_corpus(corpus: Path) -> tuple[list[Document], list[Problem]]:
    """All documents under ``corpus`` and the problems met; document ids are unique.
    ``read_corpus`` gives the field report as well."""
    loaded = read_corpus(corpus)
    return loaded.documents, loaded.problems


def read_file(path: Path, root: Path) -> Iterator[Reading | Problem]:
    """The documents in one file, or the problem that stopped it from being read."""
    relative = str(path.relative_to(root)) if root.is_dir() else path.name
    form = file_format(path)
    try:
        # utf-8-sig: a byte-order mark (spreadsheets write one) is not part of the first field
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
                text = handle.read()
        else:
            text = path.read_text(encoding="utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError) as error:
        yield Problem(relative, f"cannot be read as UTF-8 text ({error})")
        return
    if form == ".jsonl":
        yield from _read_json_lines(text, relative)
    elif form == ".json":
        yield from _read_json(text, relative)
    elif form == ".csv":
        yield from _read_csv(text, relative)
    else:
        try:
            yield _read_text(text, relative, path.stem, is_html=form in (".html", ".htm"))
        except (ValueError, TypeError, yaml.YAMLError) as error:  # limits' ValueErrors included
            yield Problem(relative, str(error).splitlines()[0])


def _read_text(text: str, relative: str, stem: str, is_html: bool) -> Reading | Problem:
    if is_html:
        body, header = html_to_text(text)
    else:
        header, content = limits.read_header(text)
        body = strip_furniture_lines(content)
    if not header:
        header, body = _header_from_lines(body)
    header.setdefault("id", stem)
    mapped = map_fields(header, TEXT_FILE_FIELDS)
    if not mapped.fields.get("title"):
        mapped.fields["title"], body = _title_from_body(body)
    return _reading(mapped, body, relative, relative)


def _read_json(text: str, relative: str) -> Iterator[Reading | Problem]:
    try:
        data = limits.parse_json(text)
    except ValueError as error:
        yield Problem(relative, str(error))
        return
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        yield _record(record, f"{relative} item {number}" if isinstance(data, list) else relative, relative)


def _read_json_lines(text: str, relative: str) -> Iterator[Reading | Problem]:
    # split on newlines only: str.splitlines would also break a record at a U+2028 inside a string
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = limits.parse_json(line)
        except ValueError as error:
            yield Problem(f"{relative} line {number}", str(error))
            continue
        yield _record(record, f"{relative} line {number}", relative)


def _read_csv(text: str, relative: str) -> Iterator[Reading | Problem]:
    """One record per row under a header row; a row is located by the line it starts on."""
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows, None)
        if not header:
            yield Problem(relative, "has no header row; skipped")
            return
        line = rows.line_num + 1
        for values in rows:
            location, line = f"{relative} line {line}", rows.line_num + 1  # a quoted value may span lines
            if len(values) > len(header):
                yield Problem(location, f"has {len(values)} values under {len(header)} column names; skipped")
            elif values:
                yield _record(dict(zip(header, values, strict=False)), location, relative)
    except csv.Error as error:
        yield Problem(f"{relative} line {rows.line_num}", f"is not valid CSV ({error}); the rest is skipped")


def _record(record, location: str, relative: str) -> Reading | Problem:
    """A JSON object or CSV row as a document; its id is ``_id``/``id``, else its URL."""
    if not isinstance(record, dict):
        return Problem(location, "is not a JSON object; skipped")
    if limits.is_too_deep(record):
        return Problem(location, limits.TOO_DEEP)
    mapped = map_fields(record, RECORD_FIELDS)
    body = _text(mapped.fields.pop("body", ""), joiner="\n\n")
    if "id" not in mapped.fields and "url" in mapped.fields:
        mapped.fields["id"] = mapped.fields["url"]
        mapped.read_as["id"] = mapped.read_as.get("url", "url")
    if "id" not in mapped.fields:
        return Problem(location, "has no `_id`, `id` or URL; skipped")
    if not mapped.fields.get("title"):
        mapped.fields["title"], body = _title_from_body(body)
    return _reading(mapped, strip_furniture_lines(body), relative, location)


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


def _reading(mapped: MappedRecord, body: str, relative: str, location: str) -> Reading | Problem:
    fields = mapped.fields
    if not body.strip() and not _text(fields.get("title")):
        return Problem(location, "has no text; skipped")
    date = iso_date(fields.get("date"))
    metadata = {key: _plain(value) for key, value in mapped.attributes.items()}
    given_url = _text(fields.get("url"))
    url = web_link(given_url) or ""
    dropped_url = given_url if given_url and not url else ""
    if "language" in fields:
        metadata["language"] = _text(fields["language"])
    document = Document(
        doc_id=_text(fields["id"]),
        title=_text(fields.get("title")),
        body=body.strip(),
        path=relative,
        date=date or "",
        company=_text(fields.get("company")),
        source=_text(fields.get("source")),
        url=url,  # a web address or nothing: a javascript: or data: link would run in a reader's browser
        metadata=metadata,
    )
    unreadable_date = "" if date is not None else str(fields["date"])
    return Reading(document, location, mapped.read_as, unreadable_date, dropped_url)


def _within_size_limit(reading: Reading, max_chars: int) -> Reading:
    """``reading`` with its body cut to ``max_chars`` characters and its full length noted, when longer."""
    body = reading.document.body
    if len(body) > max_chars:
        reading.body_chars = len(body)
        reading.document.body = limits.cut_body(body, max_chars)
    return reading


def _text(value, joiner: str = ", ") -> str:
    """A field's value as text; a list's items joined."""
    if value is None:
        return ""
    if isinstance(value, list):
        return joiner.join(text for text in (_text(item) for item in value) if text)
    return str(value).strip()


def _plain(value):
    """Header values as JSON-friendly data (YAML dates become ISO strings)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value
