"""From fused chunk hits to what a user sees: one hit per document, passages with highlights."""

from search.analysis import matching_spans
from search.fusion import FusedHit

MORE_PASSAGES_PER_DOCUMENT = 2


def highlight_spans(text: str, terms: set[str]) -> list[list[int]]:
    """Character spans ``[start, end]`` of the words in ``text`` that analyse to a query term.

    Analysing the passage as the index does means ``ICP723`` in a query marks ``ICP-723``
    in the text, and ``tumours`` marks ``tumour`` — whichever retriever found the passage.
    """
    return [[start, end] for start, end in matching_spans(text, terms)]


def passages_by_document(chunk_order: list[FusedHit], doc_of_chunk, doc_ids: list[str]) -> dict[str, list[int]]:
    """For each of ``doc_ids``, its chunks in ``chunk_order`` (best first), at most
    ``1 + MORE_PASSAGES_PER_DOCUMENT`` of them."""
    wanted = {doc_id: [] for doc_id in doc_ids}
    for hit in chunk_order:
        chunks = wanted.get(doc_of_chunk[hit.key])
        if chunks is not None and len(chunks) <= MORE_PASSAGES_PER_DOCUMENT:
            chunks.append(hit.key)
    return wanted


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


def collapse_duplicates(ranked: list[FusedHit], group_of: dict[str, str]) -> tuple[list[FusedHit], dict]:
    """``ranked`` with each near-duplicate group kept at its best-ranked member only, and, for
    each kept document, the ids of the other members that were found too."""
    kept: dict[str, FusedHit] = {}
    found_with: dict[str, list[str]] = {}
    for hit in ranked:
        group = group_of[hit.key]
        if group in kept:
            found_with[kept[group].key].append(hit.key)
        else:
            kept[group] = hit
            found_with[hit.key] = []
    return list(kept.values()), found_with


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
