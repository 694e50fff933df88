"""The encoder backends: ONNX exports that agree with PyTorch, cached beside the index, and an
index that refuses a backend whose vectors it was not built with."""

import numpy as np
import pytest
from conftest import CORPUS

from indexer.build import reindex
from indexer.documents import load_corpus
from search.encoder import TorchEncoder, configured_backend, get_encoder
from search.errors import ClinsearchError, IndexMismatchError
from search.pipeline import Searcher


@pytest.fixture(scope="module")
def passages() -> list[str]:
    """Real announcement text of every length: titles, leads, whole bodies (the model truncates)."""
    documents, _ = load_corpus(CORPUS)
    return [text for document in documents[:40] for text in (document.title, document.body[:600], document.body)]


@pytest.fixture(scope="module")
def torch_vectors(passages) -> np.ndarray:
    return TorchEncoder("all-MiniLM-L6-v2").encode(passages)


def test_the_float_onnx_export_gives_pytorchs_vectors(passages, torch_vectors, monkeypatch, tmp_path):
    monkeypatch.setenv("CLINSEARCH_ENCODER", "onnx")
    vectors = get_encoder("all-MiniLM-L6-v2", tmp_path).encode(passages)
    assert np.min(np.sum(vectors * torch_vectors, axis=1)) > 0.9999


def test_int8_vectors_stay_close_to_pytorchs_and_keep_their_neighbours(passages, torch_vectors, tmp_path):
    vectors = get_encoder("all-MiniLM-L6-v2@int8", tmp_path).encode(passages)
    cosines = np.sum(vectors * torch_vectors, axis=1)
    assert cosines.min() > 0.97 and cosines.mean() > 0.99
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    nearest = [np.argsort(-(matrix @ matrix[i]))[1:6] for matrix in (vectors, torch_vectors) for i in range(20)]
    overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(nearest[:20], nearest[20:], strict=True)])
    assert overlap >= 0.8


def test_by_default_the_export_is_made_once_beside_the_index(tmp_path, monkeypatch):
    monkeypatch.delenv("CLINSEARCH_ENCODER_CACHE")
    monkeypatch.setenv("CLINSEARCH_ENCODER", "onnx-int8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("---\ntitle: Acme AC-1 approved\n---\nThe FDA approved AC-1.\n")
    reindex(corpus, tmp_path / "index", show_progress=False)
    exported = list((tmp_path / "index" / "encoders").glob("*/model.onnx"))
    assert len(exported) == 1 and exported[0].stat().st_size > 10_000_000
    assert Searcher(tmp_path / "index").search("AC-1", mode="semantic")["hits"][0]["doc_id"] == "a"


def test_an_index_refuses_a_backend_whose_vectors_differ(index_dir, monkeypatch):
    if configured_backend() != "onnx-int8":
        pytest.skip("the bundled test index is built with another backend")
    monkeypatch.setenv("CLINSEARCH_ENCODER", "torch")
    with pytest.raises(IndexMismatchError, match="all-MiniLM-L6-v2@int8"):
        Searcher(index_dir)


def test_an_unknown_backend_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CLINSEARCH_ENCODER", "tensorflow")
    with pytest.raises(ClinsearchError, match="onnx-int8, onnx, torch"):
        configured_backend()
