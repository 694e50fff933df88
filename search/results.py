"""From fused chunk hits to what a user sees: one hit per document, passages with highlights."""

from dataclasses import asdict

from search.fusion import FusedHit

MORE_PASSAGES_PER_DOCUMENT = 2


def highlight_spans(text: str, terms: set[str], analyzer) -> list[list[int]]:
    """Character spans ``[start, end]`` of the words in ``text`` that analyse to a query term.

    Running the index analyzer over the passage means ``ICP723`` in a query marks ``ICP-723``
    in the text, and ``tumours`` marks ``tumour`` — whichever retriever found the passage.
    """
    if not terms:
        return []
    return [
        [token.startchar, token.endchar] for token in analyzer(text, chars=True, mode="index") if token.text in terms
    ]


def group_by_document(fused: list[FusedHit], doc_of_chunk: dict[int, str], limit: int):
    """The best ``limit`` documents as ``(best hit, [more hits])``, in fused order.

    A document's later passages follow its best one (at most ``MORE_PASSAGES_PER_DOCUMENT``)
    instead of pushing other documents off the page.
    """
    groups: dict[str, tuple[FusedHit, list[FusedHit]]] = {}
    for hit in fused:
        doc_id = doc_of_chunk[hit.chunk_id]
        if doc_id in groups:
            more = groups[doc_id][1]
            if len(more) < MORE_PASSAGES_PER_DOCUMENT:
                more.append(hit)
        elif len(groups) < limit:
            groups[doc_id] = (hit, [])
    return list(groups.values())


def passage(chunk, terms: set[str], analyzer) -> dict:
    """A chunk as shown: its text, where it sits in the document, and what to highlight."""
    return {
        "chunk_id": chunk["chunk_id"],
        "ordinal": chunk["ordinal"],
        "start": chunk["start"],
        "end": chunk["end"],
        "text": chunk["text"],
        "highlights": highlight_spans(chunk["text"], terms, analyzer),
    }


def hit_record(rank: int, best: FusedHit, document: dict, passages: list[dict]) -> dict:
    """One result: rank, fused score and its parts, the document's metadata, its passages."""
    breakdown = asdict(best)
    del breakdown["chunk_id"]
    return {
        "rank": rank,
        **breakdown,
        **document,
        "passage": passages[0],
        "more_passages": passages[1:],
    }
