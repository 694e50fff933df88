"""What an index holds: counts of documents by event type, regulator, modality and more."""

import json
from collections import Counter
from contextlib import closing
from pathlib import Path

from search.embedded import store
from search.embedded.index_format import open_generation

# What is counted, as (label, entity kind): what the indexer extracted from each document (a
# header's field where it had one, else what the text says), as the search page's facets count
# it; list-valued kinds count each value. Language is only ever a header field.
FACETS = (
    ("event type", "event"),
    ("regulator", "regulators"),
    ("modality", "modalities"),
    ("designation", "designations"),
    ("phase", "phases"),
)
PROGRAMME_MINIMUM = 3


def index_statistics(index_dir: Path) -> dict:
    """Counts for the current generation of ``index_dir`` (no model is loaded).

    Raises:
        IndexNotFoundError: nothing has been built in ``index_dir``.
    """
    generation = open_generation(index_dir)
    rows = []
    for shard in generation.shards:
        with closing(store.open_read_only(shard.store_path)) as connection:
            columns = "doc_id, date, company, metadata, entities, group_id"
            rows += connection.execute(f"SELECT {columns} FROM documents").fetchall()
    entities = [json.loads(row["entities"]) for row in rows]
    languages = [{"language": json.loads(row["metadata"]).get("language")} for row in rows]
    dates = sorted(row["date"] for row in rows if row["date"])
    # A programme: a drug a document names by its header's programme or by a code.
    programmes = Counter(name for found in entities for name in set(found.get("programmes", []) + found["drug_codes"]))
    return {
        "generation": generation.name,
        "model": generation.manifest["model"],
        "documents": generation.manifest["documents"],
        "chunks": generation.manifest["chunks"],
        "first_date": dates[0] if dates else None,
        "last_date": dates[-1] if dates else None,
        "companies": len({row["company"] for row in rows if row["company"]}),
        "facets": {label: _count(entities, kind) for label, kind in FACETS}
        | {"language": _count(languages, "language")},
        "programmes": {name: count for name, count in programmes.most_common() if count >= PROGRAMME_MINIMUM},
        # the documents a near-duplicate group holds besides its first version
        "retellings": sum(1 for row in rows if row["group_id"] != row["doc_id"]),
    }


def _count(records: list[dict], key: str) -> dict[str, int]:
    counts: Counter = Counter()
    for item in records:
        value = item.get(key)
        counts.update(value if isinstance(value, list) else [value] if value else [])
    return dict(counts.most_common())
