"""Writing the Whoosh BM25F index of a generation: one Whoosh document per chunk."""

from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index

from search.index_format import keyword_schema


def write_keyword_index(directory: Path, rows: Iterable[dict]) -> None:
    """Index ``rows`` (fields of ``keyword_schema``) into a new Whoosh index in ``directory``.

    The writer commits when every row went in and cancels on any error, so a half-written
    keyword index is never committed.
    """
    directory.mkdir(parents=True, exist_ok=True)
    keyword_index = whoosh_index.create_in(str(directory), keyword_schema())
    with keyword_index.writer(limitmb=256) as writer:
        for row in rows:
            writer.add_document(**row)
