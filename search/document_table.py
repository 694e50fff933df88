"""The document table: every document of a collection in memory, numbered, for the pipeline's
array work (fusion by document, filters, facet counts, near-duplicate folding, timelines)."""

import dataclasses
import functools
import json
from dataclasses import dataclass

import numpy as np

from search.entities import KIND_LABELS, code_key
from search.facets import FACETS, document_facet_values, facet_number, value_key
from search.understanding import entity_key


@dataclass(frozen=True)
class DocumentTable:
    """Every document of a collection in memory: ids, dates, near-duplicate groups, entities and
    facet values, and each chunk's document and whether it is live.

    Documents are numbered in store order (doc_id order), and each (facet, value key) pair has a code, for
    counting with numpy: document n holds the codes ``value_codes[code_offsets[n]:
    code_offsets[n + 1]]``; a code's facet (its index in ``FACETS``), key and spelling (as the
    first document holding it spells it) are ``code_facet``, ``code_keys``, ``code_display``.
    ``keys[facet][value key]`` lists the numbers of the documents with that value, for
    filtering (a list, not a mask over all documents: a large corpus has thousands of
    companies and drugs). ``naming[kind][entity key]`` holds the numbers of the documents
    whose entities of ``kind`` include that one, for query understanding; ``group_numbers``
    numbers each document's near-duplicate group, for folding a result list. The entities
    themselves are not kept: at a million passages they were the largest part of a server's
    memory, and these indexes of them are all a query needs.
    """

    doc_ids: list[str]
    number: dict[str, int]  # document id → document number
    dates: np.ndarray  # document number → ISO date ("" if none)
    value_codes: np.ndarray
    code_offsets: np.ndarray
    code_facet: np.ndarray
    code_keys: list[str]
    code_display: list[str]
    naming: dict[str, dict[str, np.ndarray]]
    programme_index: dict[str, list[str]]  # drug key (code_key of a code or name) → ids of the documents naming it
    group_of: dict[str, str]  # document id → its near-duplicate group
    group_numbers: np.ndarray  # document number → its group's number
    keys: dict[str, dict[str, list[int]]]
    chunk_document: np.ndarray  # chunk id → document number (0 for a deleted chunk)
    live: np.ndarray | None  # chunk id → not deleted; None when no chunk is

    @classmethod
    def build(cls, rows: list[dict], chunk_owners: list[tuple[int, str]], chunk_rows: int) -> "DocumentTable":
        """The table of the documents ``rows`` (with ``doc_id, company, source, date, entities``
        (JSON) and ``group_id``, in document order) and of ``chunk_rows`` chunk ids, of which
        ``chunk_owners`` pairs the live ones with their document."""
        doc_ids = [row["doc_id"] for row in rows]
        codes = _Codes()
        keys: dict[str, dict[str, list[int]]] = {name: {} for name in FACETS}
        naming: dict[str, dict[str, set[int]]] = {kind: {} for kind in NAMED_KINDS}
        programmes: dict[str, list[str]] = {}
        for position, row in enumerate(rows):
            found = json.loads(row["entities"])  # read one at a time, and let go
            _add_naming(naming, position, found)
            _add_programmes(programmes, row["doc_id"], found)
            for name, values in document_facet_values(found, row["company"], row["source"], row["date"]).items():
                spelling = {}  # key → how this document spells it, each key once
                for value in values:
                    spelling.setdefault(value_key(value), value)
                for key, value in spelling.items():
                    codes.add(name, key, value)
                    keys[name].setdefault(key, []).append(position)
            codes.end_document()
        number = {doc_id: position for position, doc_id in enumerate(doc_ids)}
        group_ids = [row["group_id"] for row in rows]
        chunk_document, live = _chunk_documents(chunk_owners, chunk_rows, number)
        return cls(
            doc_ids=doc_ids,
            number=number,
            dates=np.array([row["date"] for row in rows], dtype="<U10"),
            value_codes=np.array(codes.codes, dtype=np.int32),
            code_offsets=np.array(codes.offsets, dtype=np.int64),
            code_facet=np.array(codes.facet, dtype=np.int16),
            code_keys=codes.keys,
            code_display=codes.display,
            naming={
                kind: {key: np.array(sorted(numbers)) for key, numbers in found.items()}
                for kind, found in naming.items()
            },
            programme_index=programmes,
            group_of=dict(zip(doc_ids, group_ids, strict=True)),
            group_numbers=np.unique(np.array(group_ids, dtype=object), return_inverse=True)[1].astype(np.int64),
            keys=keys,
            chunk_document=chunk_document,
            live=None if live.all() else live,
        )

    @functools.cached_property
    def date_order(self) -> np.ndarray:
        """Document number → its date's place among the dates (later dates higher, equal dates equal)."""
        return np.unique(self.dates, return_inverse=True)[1].astype(np.int64)

    @functools.cached_property
    def first_chunks(self) -> np.ndarray:
        """Document number → its first live passage's chunk id."""
        chunks = np.arange(len(self.chunk_document)) if self.live is None else np.flatnonzero(self.live)
        documents, first = np.unique(self.chunk_document[chunks], return_index=True)
        first_chunks = np.zeros(len(self.doc_ids), dtype=np.int64)
        first_chunks[documents] = chunks[first]
        return first_chunks

    def part(self, first: int, rows: int) -> "DocumentTable":
        """This table as a shard holding chunk ids ``first`` to ``first + rows - 1`` of it sees
        it, its own chunk ids from 0: the same documents and numbers (nothing is copied), the
        shard's rows of ``chunk_document`` and ``live``."""
        live = None if self.live is None else self.live[first : first + rows]
        return dataclasses.replace(
            self,
            chunk_document=self.chunk_document[first : first + rows],
            live=None if live is None or live.all() else live,
        )

    def date_of(self, doc_id: str) -> str:
        return str(self.dates[self.number[doc_id]])

    def documents_naming(self, kind: str, value: str) -> np.ndarray:
        """The numbers of the documents whose entities of ``kind`` include ``value``."""
        return self.naming.get(kind, {}).get(entity_key(kind, value), _NO_DOCUMENTS)


class _Codes:
    """Builds ``DocumentTable``'s value codes, document by document."""

    def __init__(self):
        self.code_of: dict[tuple[str, str], int] = {}
        self.codes: list[int] = []
        self.offsets = [0]
        self.facet: list[int] = []
        self.keys: list[str] = []
        self.display: list[str] = []

    def add(self, name: str, key: str, spelling: str) -> None:
        code = self.code_of.get((name, key))
        if code is None:
            code = self.code_of[(name, key)] = len(self.keys)
            self.facet.append(facet_number(name))
            self.keys.append(key)
            self.display.append(spelling)
        self.codes.append(code)

    def end_document(self) -> None:
        self.offsets.append(len(self.codes))


def _chunk_documents(chunk_owners: list[tuple[int, str]], chunk_rows: int, number: dict[str, int]):
    """Chunk id → document number, and chunk id → not deleted."""
    chunk_document = np.zeros(chunk_rows, dtype=np.int64)
    live = np.zeros(chunk_rows, dtype=bool)
    for chunk_id, doc_id in chunk_owners:
        chunk_document[chunk_id] = number[doc_id]
        live[chunk_id] = True
    return chunk_document, live


# The entity kinds a query can ask for: what it names, and what it asks to have happened
# (``search.intent``), a release's single ``event`` included.
NAMED_KINDS = (*KIND_LABELS, "event", "designations", "territories")

_NO_DOCUMENTS = np.zeros(0, dtype=np.int64)
_NO_DOCUMENTS.setflags(write=False)  # shared by every query naming an unknown entity


def _add_naming(naming: dict[str, dict[str, set[int]]], number: int, found: dict) -> None:
    """Add document ``number``, whose entities are ``found``, under each entity it names
    (``DocumentTable.naming``, as sets)."""
    for kind in NAMED_KINDS:
        values = found.get(kind) or []
        for value in [values] if isinstance(values, str) else values:
            naming[kind].setdefault(entity_key(kind, value), set()).add(number)


def _add_programmes(programmes: dict[str, list[str]], doc_id: str, found: dict) -> None:
    """Add ``doc_id`` under the key of each drug its entities ``found`` name (``DocumentTable.programme_index``)."""
    names = [*found.get("drug_codes", []), *found.get("drug_names", []), *found.get("programmes", [])]
    for key in {code_key(name) for name in names}:
        programmes.setdefault(key, []).append(doc_id)
