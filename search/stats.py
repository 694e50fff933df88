"""What an index holds: counts of documents by event type, regulator, modality and more."""

import json
from collections import Counter
from contextlib import closing
from pathlib import Path

from search.embedded import store
from search.embedded.index_format import open_generation

# Header fields counted, as (label, metadata key); list-valued fields count each value.
FACETS = (
    ("event type", "event"),
    ("regulator", "regulator"),
    ("modality", "modality"),
    ("designation", "designations"),
    ("phase", "phase"),
    ("language", "language"),
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
            rows += connection.execute("SELECT doc_id, date, company, metadata FROM documents").fetchall()
    metadata = [json.loads(row["metadata"]) for row in rows]
    dates = sorted(row["date"] for row in rows if row["date"])
    programmes = Counter(item["programme"] for item in metadata if item.get("programme"))
    return {
        "generation": generation.name,
        "model": generation.manifest["model"],
        "documents": generation.manifest["documents"],
        "chunks": generation.manifest["chunks"],
        "first_date": dates[0] if dates else None,
        "last_date": dates[-1] if dates else None,
        "companies": len({row["company"] for row in rows if row["company"]}),
        "facets": {label: _count(metadata, key) for label, key in FACETS},
        "programmes": {name: count for name, count in programmes.most_common() if count >= PROGRAMME_MINIMUM},
        "retellings": sum(1 for item in metadata if item.get("same_news_as")),
    }


def _count(metadata: list[dict], key: str) -> dict[str, int]:
    counts: Counter = Counter()
    for item in metadata:
        value = item.get(key)
        counts.update(value if isinstance(value, list) else [value] if value else [])
    return dict(counts.most_common())
