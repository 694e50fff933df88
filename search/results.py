"""From fused chunk hits to what a user sees: one hit per document, passages with highlights."""

import numpy as np

from search import store
from search.analysis import matching_spans
from search.fusion import Fused, FusedHit, Ranked, among, reciprocal_rank_order

MORE_PASSAGES_PER_DOCUMENT = 2


def highlight_spans(text: str, terms: set[str]) -> list[list[int]]:
    """Character spans ``[start, end]`` of the words in ``text`` that analyse to a query term.

    Analysing the passage as the index does means ``ICP723`` in a query marks ``ICP-723``
    in the text, and ``tumours`` marks ``tumour`` — whichever retriever found the passage.
    """
    return [[start, end] for start, end in matching_spans(text, terms)]


def passages_by_document(keyword: Ranked, semantic: Ranked, facets, documents: np.ndarray) -> dict[str, list[int]]:
    """For each of the ``documents`` (numbers, in ``facets``), by id, its best chunks by
    reciprocal rank fusion of the two chunk lists, at most ``1 + MORE_PASSAGES_PER_DOCUMENT``
    of them."""
    chunks = _fused_chunks(keyword, semantic)
    owners = facets.chunk_document[chunks]
    wanted = among(owners, np.sort(documents))
    passages = {int(number): [] for number in documents}
    for chunk_id, number in zip(chunks[wanted].tolist(), owners[wanted].tolist(), strict=True):
        if len(passages[number]) <= MORE_PASSAGES_PER_DOCUMENT:
            passages[number].append(chunk_id)
    return {facets.doc_ids[number]: chunk_ids for number, chunk_ids in passages.items()}


def _fused_chunks(keyword: Ranked, semantic: Ranked) -> np.ndarray:
    """The chunks of both lists in RRF order; one list alone keeps its own order, which RRF
    would give it."""
    if not len(semantic[0]):
        return keyword[0]
    if not len(keyword[0]):
        return semantic[0]
    return reciprocal_rank_order(keyword, semantic)


class ResultReader:
    """What one request's results show, read from the store once: documents with their
    near-duplicate groups, titles and passages with their highlights."""

    def __init__(self, connection, group_of: dict[str, str], terms: set[str]):
        self._connection, self._group_of, self._terms = connection, group_of, terms
        self.groups: dict[str, list[dict]] = {}
        self.documents: dict[str, dict] = {}
        self.title_highlights: dict[str, list[list[int]]] = {}
        self.passages: dict[int, dict] = {}

    def read(self, passages_of: dict[str, list[int]]) -> None:
        """Read whichever documents of ``passages_of`` (with their groups) and their chunks
        (``passages_by_document``) are not read yet."""
        doc_ids = list(passages_of)
        chunk_ids = [chunk for chunks in passages_of.values() for chunk in chunks]
        group_ids = sorted({self._group_of[doc_id] for doc_id in doc_ids} - self.groups.keys())
        # A document is a member of its own group: one query reads both.
        for group_id, members in store.group_members(self._connection, group_ids).items():
            self.groups[group_id] = members
            self.documents.update((member["doc_id"], member) for member in members)
        for doc_id in doc_ids:
            if doc_id not in self.title_highlights:
                self.title_highlights[doc_id] = highlight_spans(self.documents[doc_id]["title"], self._terms)
        chunks = store.chunks_by_id(self._connection, [chunk for chunk in chunk_ids if chunk not in self.passages])
        self.passages.update((chunk_id, passage(chunk, self._terms)) for chunk_id, chunk in chunks.items())


def passage(chunk, terms: set[str]) -> dict:
    """A chunk as shown: its text, where it sits in the document, and what to highlight."""
    return {
        "chunk_id": chunk["chunk_id"],
        "ordinal": chunk["ordinal"],
        "start": chunk["start"],
        "end": chunk["end"],
        "text": chunk["text"],
        "highlights": highlight_spans(chunk["text"], terms),
    }


def first_of_each_group(documents: np.ndarray, group_numbers: np.ndarray) -> np.ndarray:
    """The places in ``documents`` (numbers, best first) of each near-duplicate group's first member."""
    _, first = np.unique(group_numbers[documents], return_index=True)
    first.sort()
    return first


def collapse_duplicates(fused: Fused, group_numbers: np.ndarray) -> Fused:
    """``fused`` (keyed by document number) with each near-duplicate group kept at its
    best-ranked member only."""
    return fused.taken(first_of_each_group(fused.keys, group_numbers))


def found_with(fused: Fused, kept: np.ndarray, group_numbers: np.ndarray) -> dict[int, list[int]]:
    """For each of the documents ``kept`` from ``fused`` by ``collapse_duplicates``, the other
    members of its group that ``fused`` holds, best first."""
    groups, kept_groups = group_numbers[fused.keys], group_numbers[kept]
    held = among(groups, np.sort(kept_groups))
    members: dict[int, list[int]] = {}
    for number, group in zip(fused.keys[held].tolist(), groups[held].tolist(), strict=True):
        members.setdefault(group, []).append(number)
    # A kept document is its group's first member in ``fused``.
    return {number: members[group][1:] for number, group in zip(kept.tolist(), kept_groups.tolist(), strict=True)}


def hit_record(
    rank: int, fused: FusedHit, document: dict, passages: list[dict], versions: list[dict], found: list[str]
) -> dict:
    """One result: rank, fused score and its parts, the document's metadata and entities, its
    passages, and the other versions of the same news (``found`` says which matched too)."""
    breakdown = {name: value for name, value in vars(fused).items() if name != "key"}
    return {
        "rank": rank,
        **breakdown,
        **document,
        "passage": passages[0],
        "more_passages": passages[1:],
        "other_versions": [
            {
                **document_summary(version),
                "language": version["metadata"].get("language", ""),
                "matched": version["doc_id"] in found,
            }
            for version in versions
        ],
    }


def document_summary(document: dict) -> dict:
    """What a list of announcements shows of each: id, title, date, company, source, link, event."""
    fields = ("doc_id", "title", "date", "company", "source", "url")
    return {**{field: document[field] for field in fields}, "event": document["entities"].get("event", "other")}
