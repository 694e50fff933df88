"""Embedding chunks, reusing the vectors of chunk texts that an earlier generation already encoded."""

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable

import numpy as np

from search.embedded import store
from search.embedded.index_format import Generation
from search.encoder import Encoder

BATCH_SIZE = 256  # texts handed to the encoder at a time: enough to keep it busy, and progress moving


def text_hash(text: str) -> str:
    """The cache key of an embedded text."""
    return hashlib.sha256(text.encode()).hexdigest()


def previous_vectors(generation: Generation | None, model_name: str, wanted: list[str]) -> dict[str, np.ndarray]:
    """Vectors of ``generation`` (all its shards) for the text hashes ``wanted``, keyed by text
    hash; nothing when it used another model. Only those are read: adding one document to a
    shard of 250,000 passages needs a handful, not all of them."""
    if generation is None or generation.manifest.get("model") != model_name or not wanted:
        return {}
    try:
        found = {}
        for shard in generation.shards:
            matrix = np.load(shard.vectors_path, mmap_mode="r", allow_pickle=False)
            with contextlib.closing(store.open_read_only(shard.store_path)) as connection:
                rows = store.chunks_with_text_hashes(connection, wanted)
            found.update((text_hash_, matrix[chunk_id]) for chunk_id, text_hash_ in rows)
    except (OSError, ValueError, sqlite3.Error):  # unreadable: embed everything afresh
        return {}
    return found


def embed(
    texts: list[str], encoder_of: Callable[[], Encoder], cache: dict[str, np.ndarray], advance: Callable[[int], None]
) -> tuple[np.ndarray, int]:
    """The matrix of vectors for ``texts`` (row i for text i) and how many were newly encoded.

    The encoder is only loaded when some text is not in ``cache``. Texts are encoded longest
    first, so each batch pads to similar lengths.
    """
    hashes = [text_hash(text) for text in texts]
    missing = {key: text for key, text in zip(hashes, texts, strict=True) if key not in cache}
    advance(len(texts) - len(missing))
    fresh: dict[str, np.ndarray] = {}
    if missing:
        encoder = encoder_of()
        order = sorted(missing, key=lambda key: -len(missing[key]))
        for first in range(0, len(order), BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            fresh.update(zip(batch, encoder.encode([missing[key] for key in batch]), strict=True))
            advance(len(batch))
    vectors = [fresh[key] if key in fresh else cache[key] for key in hashes]
    return np.array(vectors, dtype=np.float32), len(missing)
