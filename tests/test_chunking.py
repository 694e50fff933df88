"""Passages are whole sentences within the size limits, and together cover the whole body."""

from pathlib import Path

import pytest

from indexer.chunking import MAX_WORDS, SINGLE_PASSAGE_WORDS, chunk_body
from indexer.documents import load_corpus
from search.sentences import sentence_spans

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    documents, _ = load_corpus(CORPUS)
    return [document.body for document in documents]


def test_chunks_point_at_their_text_in_the_body(bodies):
    for body in bodies:
        for chunk in chunk_body(body):
            assert body[chunk.start : chunk.end] == chunk.text


def test_every_sentence_is_in_some_chunk(bodies):
    for body in bodies:
        chunks = chunk_body(body)
        for start, end in sentence_spans(body):
            assert any(chunk.start <= start and end <= chunk.end for chunk in chunks)


def test_chunks_stay_within_the_model_window(bodies):
    long_sentence_allowance = 60
    for body in bodies:
        for chunk in chunk_body(body):
            assert len(chunk.text.split()) <= max(SINGLE_PASSAGE_WORDS, MAX_WORDS + long_sentence_allowance)


def test_a_short_body_is_one_passage_and_a_long_one_several():
    sentence = "The trial met its primary endpoint in adults with the disease. "
    assert len(chunk_body(sentence * 20)) == 1  # 200 words
    assert len(chunk_body(sentence * 40)) > 2  # 400 words


def test_sentences_do_not_break_after_abbreviations():
    body = "The U.S. FDA granted it. Dr. Sun said so. It works."
    assert [body[s:e] for s, e in sentence_spans(body)] == ["The U.S. FDA granted it.", "Dr. Sun said so.", "It works."]


def test_long_documents_overlap_by_one_sentence():
    body = " ".join(f"Sentence number {i} says something about the trial and its patients." for i in range(60))
    chunks = chunk_body(body)
    assert len(chunks) > 2
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start < before.end
