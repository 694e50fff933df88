"""From fused chunk hits to what a user sees: one hit per document, passages with highlights."""

import numpy as np

from search.analysis import matching_spans
from search.fusion import Fused, FusedHit, Ranked, among, reciprocal_rank_fusion

MORE_PASSAGES_PER_DOCUMENT = 2


def highlight_spans(text: str, terms: set[str]) -> list[list[int]]:
    """Character spans ``[start, end]`` of the words in ``text`` that analyse to a query term.

    Analysing the passage as the index does means ``ICP723`` in a query marks ``ICP-723``
    in the text, and ``tumours`` marks ``tumour`` — whichever retriever found the passage.
    """
    return [[start, end] for start, end in matching_spans(text, terms)]


def passages_by_document(keyword: Ranked, semantic: Ranked, table, documents: np.ndarray) -> dict[str, list[int]]:
    """For each of the ``documents`` (numbers, in the document ``table``), by id, its best chunks by
    reciprocal rank fusion of the two chunk lists, at most ``1 + MORE_PASSAGES_PER_DOCUMENT``
    of them."""
    chunks = _fused_chunks(keyword, semantic)
    owners = table.chunk_document[chunks]
    wanted = among(owners, np.sort(documents))
    passages = {int(number): [] for number in documents}
    for chunk_id, number in zip(chunks[wanted].tolist(), owners[wanted].tolist(), strict=True):
        if len(passages[number]) <= MORE_PASSAGES_PER_DOCUMENT:
            passages[number].append(chunk_id)
    return {table.doc_ids[number]: chunk_ids for number, chunk_ids in passages.items()}


def _fused_chunks(keyword: Ranked, semantic: Ranked) -> np.ndarray:
    """The chunks of both lists in RRF order; one list alone keeps its own order, which RRF
    would give it."""
    if not len(semantic[0]):
        return keyword[0]
    if not len(keyword[0]):
        return semantic[0]
    return reciprocal_rank_fusion(keyword, semantic).keys


def page_hits(retrieval, fused: Fused, page: Fused, first_rank: int) -> list[dict]:
    """A page of the result list (``page``, from ``fused`` by ``collapse_duplicates``) as
    results, each with its best passages (``passages_by_document``) and the other versions of
    its news, those ``fused`` holds marked as found. One read of the shard's records for the
    page's groups (a document is a member of its own group), one for its passages."""
    opened, terms = retrieval.opened, retrieval.parsed.terms
    table, shard = opened.table, opened.shard
    passages_of = passages_by_document(retrieval.keyword, retrieval.semantic, table, page.keys)
    versions = found_with(fused, page.keys, table.group_numbers)
    groups = shard.group_members(sorted({table.group_of[doc_id] for doc_id in passages_of}))
    documents = {member["doc_id"]: member for members in groups.values() for member in members}
    chunks = shard.chunks([chunk for chunk_ids in passages_of.values() for chunk in chunk_ids])
    hits = []
    for position, number in enumerate(page.keys.tolist()):
        doc_id = table.doc_ids[number]
        document = {**documents[doc_id], "title_highlights": highlight_spans(documents[doc_id]["title"], terms)}
        passages = [passage(chunks[chunk_id], terms) for chunk_id in passages_of[doc_id]]
        others = [member for member in groups[document["group_id"]] if member["doc_id"] != doc_id]
        found = [table.doc_ids[other] for other in versions[number]]
        hits.append(hit_record(first_rank + position, page.hit(position, doc_id), document, passages, others, found))
    return hits


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
