"""Writing the Whoosh BM25F index of a generation: one Whoosh document per chunk."""

from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index

from search.index_format import keyword_schema


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
