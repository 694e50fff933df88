"""Writing the keyword side of a generation: the Whoosh BM25F index of chunks, and the postings
arrays the query-time scorer reads (``search.embedded.postings``), taken from it."""

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search.embedded.index_format import keyword_schema, open_keyword_index
from search.embedded.postings import SCORED_FIELDS, Postings, write_postings


def write_keyword_index(directory: Path, rows: Iterable[dict], removed_doc_ids: list[str], extend: bool) -> None:
    """Delete the chunks of ``removed_doc_ids`` from the Whoosh index in ``directory`` (a new
    one unless ``extend``) and add ``rows`` (fields of ``keyword_schema``) in chunk-id order.

    The writer commits when every row went in and cancels on any error, so a half-written
    keyword index is never committed. It never merges segments: a merge would drop deleted
    documents and renumber the rest, and Whoosh document numbers must stay chunk ids.
    """
    if extend:
        keyword_index = open_keyword_index(directory)
    else:
        directory.mkdir(parents=True, exist_ok=True)
        keyword_index = whoosh_index.create_in(str(directory), keyword_schema())
    writer = keyword_index.writer(limitmb=256)
    try:
        for doc_id in removed_doc_ids:
            writer.delete_by_term("doc_id", doc_id)
        for row in rows:
            writer.add_document(**row)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(merge=False)


def segment_count(directory: Path) -> int:
    """How many segments the Whoosh index in ``directory`` holds (one per extension)."""
    with open_keyword_index(directory).reader() as reader:
        return len(list(reader.leaf_readers()))


def write_keyword_postings(generation_dir: Path, keyword_dir: Path, base: Postings | None) -> None:
    """Write the postings of the Whoosh index in ``keyword_dir`` into ``generation_dir``.

    Only Whoosh's public reader is used, one posting at a time, so only the chunks added since
    ``base`` (the postings of the generation this one extends) are read: its segments come
    after the base's, and the base's postings are kept as they are.
    """
    with open_keyword_index(keyword_dir).reader() as reader:
        first_new = base.chunk_rows if base else 0
        leaves = [(leaf, offset) for leaf, offset in reader.leaf_readers() if offset >= first_new]
        fields = {name: _field_postings(reader, leaves, name, base) for name in SCORED_FIELDS}
        write_postings(generation_dir, reader.doc_count_all(), fields)


def _field_postings(reader, leaves: list, field: str, base: Postings | None):
    """One field's sorted terms, arrays and total length: the base's postings, then those of
    the segments in ``leaves``, each term's runs in that order (so its chunk ids ascend).

    The base's postings are grouped by term in term order, and its terms keep their order among
    all the terms, so they stay sorted: the new postings (a few, when a reindex adds a few
    documents) are sorted alone and inserted after their term's base postings, without sorting
    the base's millions again."""
    old = base.fields[field] if base else None
    runs = list(_leaf_postings(leaves, field))
    terms, number_of = _merged_terms(old, {term for term, *_ in runs})
    documents = np.zeros(len(terms), dtype=np.int64)
    counts = np.zeros(len(terms), dtype=np.int64)  # postings per term
    new_terms, new_chunks, new_frequencies = [], [], []
    for term, ids, weights, frequency in runs:
        number = number_of[term]
        documents[number] += frequency  # Whoosh counts a term's documents per segment
        counts[number] += len(ids)
        new_terms.append(np.full(len(ids), number, dtype=np.int64))
        new_chunks.append(np.array(ids))
        new_frequencies.append(np.array(weights))
    by_term = _joined(new_terms, np.int64)
    order = np.argsort(by_term, kind="stable")
    by_term, chunks, frequencies = (
        by_term[order],
        _joined(new_chunks, np.int32)[order],
        _joined(new_frequencies, np.float32)[order],
    )
    lengths = [old.lengths] if old is not None else []
    if old is not None:
        old_numbers = np.fromiter(
            (number_of[term] for term in old.term_number), dtype=np.int64, count=len(old.term_number)
        )
        documents[old_numbers] += old.documents
        old_counts = np.zeros(len(terms), dtype=np.int64)
        old_counts[old_numbers] = np.diff(old.starts)
        counts += old_counts
        after_base_postings = np.cumsum(old_counts)[by_term]  # where each new posting goes among the base's
        chunks = np.insert(np.asarray(old.chunks), after_base_postings, chunks)
        frequencies = np.insert(np.asarray(old.frequencies), after_base_postings, frequencies)
    for leaf, _offset in leaves:
        lengths.append(np.array([leaf.doc_field_length(n, field, 0) for n in range(leaf.doc_count_all())]))
    arrays = {
        "documents": documents,
        "starts": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "chunks": chunks.astype(np.int32, copy=False),
        "frequencies": frequencies.astype(np.float32, copy=False),
        "lengths": _joined(lengths, np.float32),
    }
    return terms, arrays, reader.field_length(field)


def _merged_terms(old, new_terms: set[str]) -> tuple[list[str], dict[str, int]]:
    """The sorted terms of the base's postings (``old``, may be None) and ``new_terms``, and each term's number."""
    if old is not None and all(term in old.term_number for term in new_terms):
        return list(old.term_number), old.term_number  # no new word: the base's numbering stands
    terms = sorted(set(old.term_number if old is not None else ()).union(new_terms))
    return terms, {term: number for number, term in enumerate(terms)}


def _leaf_postings(leaves: list, field: str):
    """``(term, chunk ids, frequencies, document frequency)`` of each term of each segment."""
    for leaf, offset in leaves:
        for term in leaf.field_terms(field):
            matcher, ids, weights = leaf.postings(field, term), [], []
            while matcher.is_active():
                ids.append(matcher.id() + offset)
                weights.append(matcher.weight())
                matcher.next()
            yield term, ids, weights, leaf.doc_frequency(field, term)


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)
