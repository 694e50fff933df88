"""Writing the keyword side of a generation: the Whoosh BM25F index of chunks, and the postings
arrays the query-time scorer reads (``search.embedded.postings``), taken from it."""

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search.embedded.index_format import keyword_schema
from search.embedded.postings import SCORED_FIELDS, Postings, write_postings


def write_keyword_index(directory: Path, rows: Iterable[dict], removed_doc_ids: list[str], extend: bool) -> None:
    """Delete the chunks of ``removed_doc_ids`` from the Whoosh index in ``directory`` (a new
    one unless ``extend``) and add ``rows`` (fields of ``keyword_schema``) in chunk-id order.

    The writer commits when every row went in and cancels on any error, so a half-written
    keyword index is never committed. It never merges segments: a merge would drop deleted
    documents and renumber the rest, and Whoosh document numbers must stay chunk ids.
    """
    if extend:
        keyword_index = whoosh_index.open_dir(str(directory))
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
    with whoosh_index.open_dir(str(directory)).reader() as reader:
        return len(list(reader.leaf_readers()))


def write_keyword_postings(generation_dir: Path, keyword_dir: Path, base: Postings | None) -> None:
    """Write the postings of the Whoosh index in ``keyword_dir`` into ``generation_dir``.

    Only Whoosh's public reader is used, one posting at a time, so only the chunks added since
    ``base`` (the postings of the generation this one extends) are read: its segments come
    after the base's, and the base's postings are kept as they are.
    """
    with whoosh_index.open_dir(str(keyword_dir)).reader() as reader:
        first_new = base.chunk_rows if base else 0
        leaves = [(leaf, offset) for leaf, offset in reader.leaf_readers() if offset >= first_new]
        fields = {name: _field_postings(reader, leaves, name, base) for name in SCORED_FIELDS}
        write_postings(generation_dir, reader.doc_count_all(), fields)


def _field_postings(reader, leaves: list, field: str, base: Postings | None):
    """One field's sorted terms, arrays and total length: the base's postings, then the new ones."""
    added: dict[str, list[tuple[list[int], list[float]]]] = {}
    for leaf, offset in leaves:
        for term in leaf.field_terms(field):
            matcher, chunks, frequencies = leaf.postings(field, term), [], []
            while matcher.is_active():
                chunks.append(matcher.id() + offset)
                frequencies.append(matcher.weight())
                matcher.next()
            added.setdefault(term, []).append((chunks, frequencies))
    old = base.fields[field] if base else None
    terms = sorted(added.keys() | (old.term_number.keys() if old else set()))
    chunks, frequencies, starts = [], [], [0]
    for term in terms:
        parts = [old.postings(term)] if old is not None else []
        parts += [(np.array(ids), np.array(weights)) for ids, weights in added.get(term, ())]
        chunks += [ids for ids, _weights in parts]
        frequencies += [weights for _ids, weights in parts]
        starts.append(starts[-1] + sum(len(ids) for ids, _weights in parts))
    lengths = [old.lengths] if old is not None else []
    for leaf, _offset in leaves:
        lengths.append(np.array([leaf.doc_field_length(n, field, 0) for n in range(leaf.doc_count_all())]))
    arrays = {
        "documents": np.array([reader.doc_frequency(field, term) for term in terms], dtype=np.int64),
        "starts": np.array(starts, dtype=np.int64),
        "chunks": _joined(chunks, np.int32),
        "frequencies": _joined(frequencies, np.float32),
        "lengths": _joined(lengths, np.float32),
    }
    return terms, arrays, reader.field_length(field)


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)
