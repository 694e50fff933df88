"""Facets: the fields a result set is counted and filtered by (event type, regulator, modality …).

Every facet value belongs to a document. Filters pick documents (any selected value within a
facet, every facet with a selection), and each retriever only sees the chunks of those
documents; counts are taken over the documents of a result set, so they match what it holds.
"""

import functools
import itertools
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass

import numpy as np

from search.entities import code_key
from search.understanding import KIND_LABELS, entity_key

# Facet name → (label shown, the document entity kind it reads). ``company`` and ``source``
# come from the document's header; ``year`` from its date.
FACETS = {
    "event": ("Event", "event"),
    "regulator": ("Regulator", "regulators"),
    "modality": ("Modality", "modalities"),
    "target": ("Target", "targets"),
    "indication": ("Indication", "indications"),
    "phase": ("Phase", "phases"),
    "drug": ("Drug", "drug_codes"),
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

    Documents are numbered in store order. ``value_keys[facet][n]`` holds document n's value
    keys (``value_key``) and ``display[facet][key]`` how a key is shown (as the first document
    holding it spells it); ``keys[facet][value key]`` lists the numbers of the documents with
    that value, for filtering (a list, not a mask over all documents: a large corpus has
    thousands of companies and drugs). ``naming[kind][entity key]`` holds the ids of the
    documents whose entities of ``kind`` include that one, for query understanding.
    """

    doc_ids: list[str]
    number: dict[str, int]  # document id → document number
    dates: np.ndarray  # document number → ISO date ("" if none)
    value_keys: dict[str, list[tuple[str, ...]]]
    display: dict[str, dict[str, str]]
    entities: list[dict]
    naming: dict[str, dict[str, set[str]]]
    group_of: dict[str, str]  # document id → its near-duplicate group
    keys: dict[str, dict[str, list[int]]]
    chunk_document: np.ndarray  # chunk id → document number (0 for a deleted chunk)
    live: np.ndarray | None  # chunk id → not deleted; None when no chunk is

    @classmethod
    def load(cls, connection: sqlite3.Connection, chunk_rows: int) -> "FacetIndex":
        """The facets of the store's documents; ``chunk_rows`` chunk ids, deleted ones included."""
        rows = connection.execute("SELECT doc_id, company, source, date, entities, group_id FROM documents").fetchall()
        doc_ids = [row["doc_id"] for row in rows]
        entities = [json.loads(row["entities"]) for row in rows]
        value_keys: dict[str, list[tuple[str, ...]]] = {name: [] for name in FACETS}
        display: dict[str, dict[str, str]] = {name: {} for name in FACETS}
        keys: dict[str, dict[str, list[int]]] = {name: {} for name in FACETS}
        for position, (found, row) in enumerate(zip(entities, rows, strict=True)):
            for name, values in document_facet_values(found, row["company"], row["source"], row["date"]).items():
                spelling = {}  # key → how this document spells it, each key once
                for value in values:
                    spelling.setdefault(value_key(value), value)
                value_keys[name].append(tuple(spelling))
                for key, value in spelling.items():
                    display[name].setdefault(key, value)
                    keys[name].setdefault(key, []).append(position)
        number = {doc_id: position for position, doc_id in enumerate(doc_ids)}
        chunk_document, live = _chunk_documents(connection, chunk_rows, number)
        return cls(
            doc_ids=doc_ids,
            number=number,
            dates=np.array([row["date"] for row in rows], dtype="<U10"),
            value_keys=value_keys,
            display=display,
            entities=entities,
            naming=_documents_naming(doc_ids, entities),
            group_of={row["doc_id"]: row["group_id"] for row in rows},
            keys=keys,
            chunk_document=chunk_document,
            live=None if live.all() else live,
        )

    @functools.cached_property
    def chunk_doc_ids(self) -> np.ndarray:
        """Chunk id → document id."""
        return np.array(self.doc_ids, dtype=object)[self.chunk_document]

    @functools.cached_property
    def chunk_dates(self) -> np.ndarray:
        """Chunk id → its document's date."""
        return self.dates[self.chunk_document]

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

    def chunk_mask(self, selected: dict[str, tuple[str, ...]]) -> np.ndarray | None:
        """The chunks of the documents ``document_mask`` lets through."""
        documents = self.document_mask(selected)
        return None if documents is None else documents[self.chunk_document]

    def documents_naming(self, kind: str, value: str) -> set[str]:
        """The ids of the documents whose entities of ``kind`` include ``value``."""
        return self.naming.get(kind, {}).get(entity_key(kind, value), set())

    def counts(self, doc_ids: list[str], selected: dict[str, tuple[str, ...]]) -> dict[str, dict]:
        """Per facet, its most frequent values among ``doc_ids`` with their counts; a selected
        value is always listed (with 0 when no result has it)."""
        numbers = [self.number[doc_id] for doc_id in doc_ids]
        return {name: self._facet_counts(name, numbers, selected.get(name, ())) for name in FACETS}

    def _facet_counts(self, name: str, numbers: list[int], chosen: tuple[str, ...]) -> dict:
        keys_of = self.value_keys[name]
        counter = Counter(itertools.chain.from_iterable(map(keys_of.__getitem__, numbers)))
        chosen_spelling = {value_key(value): value for value in chosen}
        top = [key for key, _ in counter.most_common(VALUES_SHOWN)]
        top += [key for key in chosen_spelling if key not in top]
        label_of = EVENT_LABELS if name == "event" else {}
        values = []
        for key in top:
            shown = chosen_spelling.get(key) or self.display[name][key]
            values.append(
                {
                    "value": shown,
                    "label": label_of.get(shown, shown),
                    "count": counter[key],
                    "selected": key in chosen_spelling,
                }
            )
        return {"label": FACETS[name][0], "values": values}


def _chunk_documents(connection: sqlite3.Connection, chunk_rows: int, number: dict[str, int]):
    """Chunk id → document number, and chunk id → not deleted."""
    chunk_document = np.zeros(chunk_rows, dtype=np.int64)
    live = np.zeros(chunk_rows, dtype=bool)
    for chunk_id, doc_id in connection.execute("SELECT chunk_id, doc_id FROM chunks"):
        chunk_document[chunk_id] = number[doc_id]
        live[chunk_id] = True
    return chunk_document, live


def _documents_naming(doc_ids: list[str], entities: list[dict]) -> dict[str, dict[str, set[str]]]:
    """Entity kind → entity key → the ids of the documents naming it (``FacetIndex.naming``)."""
    naming: dict[str, dict[str, set[str]]] = {kind: {} for kind in KIND_LABELS}
    for doc_id, found in zip(doc_ids, entities, strict=True):
        for kind in KIND_LABELS:
            for value in found.get(kind) or []:
                naming[kind].setdefault(entity_key(kind, value), set()).add(doc_id)
    return naming
