"""Facets: the fields a result set is counted and filtered by (event type, regulator, modality …).

Every facet value belongs to a document. Filters pick documents (any selected value within a
facet, every facet with a selection), and each retriever only sees the chunks of those
documents; counts are taken over the documents of a result set, so they match what it holds.
"""

import functools
import json
import sqlite3
from dataclasses import dataclass

import numpy as np

from search.entities import code_key
from search.understanding import KIND_LABELS, entity_key

# Facet name → (label shown, the document entity kind it reads). ``company`` and ``source``
# come from the document's header; ``year`` from its date.
FACETS = {
    "event": ("Event", "event"),
    "designation": ("Designation", "designations"),
    "regulator": ("Regulator", "regulators"),
    "modality": ("Modality", "modalities"),
    "target": ("Target", "targets"),
    "indication": ("Indication", "indications"),
    "phase": ("Phase", "phases"),
    "drug": ("Drug", "drug_codes"),
    "territory": ("Deal territory", "territories"),
    "company": ("Company", None),
    "source": ("Source", None),
    "year": ("Year", None),
}
FILTER_FACETS = tuple(name for name in FACETS if name != "year")  # a year is a date range
VALUES_SHOWN = 12

EVENT_LABELS = {
    "ind_clearance": "IND/CTA clearance",
    "clinical_hold": "Clinical hold",
    "first_patient_dosed": "First patient dosed",
    "enrolment_complete": "Enrolment complete",
    "readout": "Trial readout",
    "data_presentation": "Data presentation",
    "filing": "Filing",
    "approval": "Approval",
    "crl": "Complete response letter",
    "designation": "Designation",
    "licensing": "Licensing or partnership",
    "financing": "Financing",
    "earnings": "Earnings",
    "management_change": "Management change",
    "conference_appearance": "Conference appearance",
    "other": "Other",
}
DESIGNATION_LABELS = {
    "orphan": "Orphan drug",
    "fast_track": "Fast Track",
    "breakthrough": "Breakthrough therapy",
    "prime": "PRIME",
    "rmat": "RMAT",
    "priority_review": "Priority review",
    "rare_pediatric": "Rare pediatric disease",
}
VALUE_LABELS = {"event": EVENT_LABELS, "designation": DESIGNATION_LABELS}


def value_key(value: str) -> str:
    """How facet values compare: case and spacing do not matter (``nmpa`` selects ``NMPA``);
    commas separate values in the keyword index, so they count as spaces."""
    return " ".join(str(value).lower().replace(",", " ").split())


def document_facet_values(entities: dict, company: str, source: str, date: str) -> dict[str, list[str]]:
    """A document's value (or values) for each facet."""
    values = {}
    for name, (_, kind) in FACETS.items():
        if kind is not None:
            found = entities.get(kind) or []
            values[name] = [found] if isinstance(found, str) else list(found)
    values["company"] = [company] if company else []
    values["source"] = [source] if source else []
    values["year"] = [date[:4]] if date else []
    return values


@dataclass(frozen=True)
class FacetIndex:
    """Facet values of every document of a generation, and each chunk's document and date.

    Documents are numbered in store order, and each (facet, value key) pair has a code, for
    counting with numpy: document n holds the codes ``value_codes[code_offsets[n]:
    code_offsets[n + 1]]``; a code's facet (its index in ``FACETS``), key and spelling (as the
    first document holding it spells it) are ``code_facet``, ``code_keys``, ``code_display``.
    ``keys[facet][value key]`` lists the numbers of the documents with that value, for
    filtering (a list, not a mask over all documents: a large corpus has thousands of
    companies and drugs). ``naming[kind][entity key]`` holds the numbers of the documents
    whose entities of ``kind`` include that one, for query understanding; ``group_numbers``
    numbers each document's near-duplicate group, for folding a result list.
    """

    doc_ids: list[str]
    number: dict[str, int]  # document id → document number
    dates: np.ndarray  # document number → ISO date ("" if none)
    value_codes: np.ndarray
    code_offsets: np.ndarray
    code_facet: np.ndarray
    code_keys: list[str]
    code_display: list[str]
    entities: list[dict]
    naming: dict[str, dict[str, np.ndarray]]
    group_of: dict[str, str]  # document id → its near-duplicate group
    group_numbers: np.ndarray  # document number → its group's number
    keys: dict[str, dict[str, list[int]]]
    chunk_document: np.ndarray  # chunk id → document number (0 for a deleted chunk)
    live: np.ndarray | None  # chunk id → not deleted; None when no chunk is

    @classmethod
    def load(cls, connection: sqlite3.Connection, chunk_rows: int) -> "FacetIndex":
        """The facets of the store's documents; ``chunk_rows`` chunk ids, deleted ones included."""
        rows = connection.execute("SELECT doc_id, company, source, date, entities, group_id FROM documents").fetchall()
        doc_ids = [row["doc_id"] for row in rows]
        entities = [json.loads(row["entities"]) for row in rows]
        codes = _Codes()
        keys: dict[str, dict[str, list[int]]] = {name: {} for name in FACETS}
        for position, (found, row) in enumerate(zip(entities, rows, strict=True)):
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
        chunk_document, live = _chunk_documents(connection, chunk_rows, number)
        return cls(
            doc_ids=doc_ids,
            number=number,
            dates=np.array([row["date"] for row in rows], dtype="<U10"),
            value_codes=np.array(codes.codes, dtype=np.int32),
            code_offsets=np.array(codes.offsets, dtype=np.int64),
            code_facet=np.array(codes.facet, dtype=np.int16),
            code_keys=codes.keys,
            code_display=codes.display,
            entities=entities,
            naming=_documents_naming(entities),
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
        """Document number → its first passage's chunk id (chunk ids follow document order)."""
        chunks = np.arange(len(self.chunk_document)) if self.live is None else np.flatnonzero(self.live)
        documents, first = np.unique(self.chunk_document[chunks], return_index=True)
        first_chunks = np.zeros(len(self.doc_ids), dtype=np.int64)
        first_chunks[documents] = chunks[first]
        return first_chunks

    @functools.cached_property
    def programme_index(self) -> dict[str, list[str]]:
        """Drug key (``search.entities.code_key`` of a code or name) → ids of the documents
        naming it; built on first use."""
        index: dict[str, list[str]] = {}
        for doc_id, found in zip(self.doc_ids, self.entities, strict=True):
            names = [*found.get("drug_codes", []), *found.get("drug_names", []), *found.get("programmes", [])]
            for key in {code_key(name) for name in names}:
                index.setdefault(key, []).append(doc_id)
        return index

    def date_of(self, doc_id: str) -> str:
        return str(self.dates[self.number[doc_id]])

    def document_mask(self, selected: dict[str, tuple[str, ...]]) -> np.ndarray | None:
        """Which documents have, for every facet with a selection, one of its selected values."""
        if not any(selected.values()):
            return None
        mask = np.ones(len(self.doc_ids), dtype=bool)
        for name, chosen in selected.items():
            if chosen:
                allowed = np.zeros(len(self.doc_ids), dtype=bool)
                for value in chosen:
                    allowed[self.keys[name].get(value_key(value), [])] = True
                mask &= allowed
        return mask

    def documents_naming(self, kind: str, value: str) -> np.ndarray:
        """The numbers of the documents whose entities of ``kind`` include ``value``."""
        return self.naming.get(kind, {}).get(entity_key(kind, value), _NO_DOCUMENTS)

    def counts(self, numbers: np.ndarray, selected: dict[str, tuple[str, ...]]) -> dict[str, dict]:
        """Per facet, its most frequent values among the documents ``numbers`` with their counts
        (of equal counts, the value met first in ``numbers`` first); a selected value is always
        listed (with 0 when no result has it)."""
        codes, tallies, bounds = (array.tolist() for array in self._tallies(numbers))
        counts = {}
        for index, name in enumerate(FACETS):
            group = slice(bounds[index], bounds[index + 1])
            counts[name] = self._facet_counts(name, codes[group], tallies[group], selected)
        return counts

    def _tallies(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The codes the documents hold and how many hold each, grouped by facet in ``FACETS``
        order, most held first, then in order of first appearance; and where each facet's group
        begins and ends."""
        starts = self.code_offsets[numbers]
        lengths = self.code_offsets[numbers + 1] - starts
        ends = np.cumsum(lengths)
        # Every document's stretch of value_codes, one after another, in result order.
        positions = np.arange(ends[-1] if len(ends) else 0) + np.repeat(starts - (ends - lengths), lengths)
        held = self.value_codes[positions]
        # Counting into one slot per code of the index costs a pass over all of them, but no sort
        # of the list's codes (np.unique): 34 against 65 µs at 4,341 passages (727 codes), 88
        # against 75 µs at 200,000 (22,965 codes), where the query takes 25 ms anyway.
        tallies = np.bincount(held, minlength=len(self.code_keys))
        first = np.full(len(tallies), len(held))
        np.minimum.at(first, held, np.arange(len(held)))
        codes = np.flatnonzero(tallies)
        facet = self.code_facet[codes]
        sorting = np.lexsort((first[codes], -tallies[codes], facet))
        order = codes[sorting]
        return order, tallies[order], np.searchsorted(facet[sorting], np.arange(len(FACETS) + 1))

    def _facet_counts(self, name: str, codes: list[int], tallies: list[int], selected: dict) -> dict:
        listed = {}  # key → (how it is shown, count), most frequent first
        for code, tally in zip(codes[:VALUES_SHOWN], tallies[:VALUES_SHOWN], strict=True):
            listed[self.code_keys[code]] = (self.code_display[code], tally)
        chosen = {value_key(value): value for value in selected.get(name, ())}
        if chosen:
            tally_of = {self.code_keys[code]: tally for code, tally in zip(codes, tallies, strict=True)}
            for key, value in chosen.items():
                listed[key] = (value, tally_of.get(key, 0))
        label_of = VALUE_LABELS.get(name, {})
        values = [
            {"value": value, "label": label_of.get(value, value), "count": tally, "selected": key in chosen}
            for key, (value, tally) in listed.items()
        ]
        return {"label": FACETS[name][0], "values": values}


class _Codes:
    """Builds ``FacetIndex``'s value codes, document by document."""

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
            self.facet.append(_FACET_INDEX[name])
            self.keys.append(key)
            self.display.append(spelling)
        self.codes.append(code)

    def end_document(self) -> None:
        self.offsets.append(len(self.codes))


_FACET_INDEX = {name: index for index, name in enumerate(FACETS)}


def _chunk_documents(connection: sqlite3.Connection, chunk_rows: int, number: dict[str, int]):
    """Chunk id → document number, and chunk id → not deleted."""
    chunk_document = np.zeros(chunk_rows, dtype=np.int64)
    live = np.zeros(chunk_rows, dtype=bool)
    for chunk_id, doc_id in connection.execute("SELECT chunk_id, doc_id FROM chunks"):
        chunk_document[chunk_id] = number[doc_id]
        live[chunk_id] = True
    return chunk_document, live


_NO_DOCUMENTS = np.zeros(0, dtype=np.int64)
_NO_DOCUMENTS.setflags(write=False)  # shared by every query naming an unknown entity


def _documents_naming(entities: list[dict]) -> dict[str, dict[str, np.ndarray]]:
    """Entity kind → entity key → the numbers of the documents naming it (``FacetIndex.naming``)."""
    naming: dict[str, dict[str, set[int]]] = {kind: {} for kind in KIND_LABELS}
    for number, found in enumerate(entities):
        for kind in KIND_LABELS:
            for value in found.get(kind) or []:
                naming[kind].setdefault(entity_key(kind, value), set()).add(number)
    return {kind: {key: np.array(sorted(numbers)) for key, numbers in keys.items()} for kind, keys in naming.items()}
