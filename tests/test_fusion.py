"""Fusion arithmetic on hand-made ranked lists."""

import pytest

from search.fusion import best_per_document, convex_combination, reciprocal_rank_fusion


def test_rrf_adds_reciprocal_ranks():
    fused = {hit.key: hit.score for hit in reciprocal_rank_fusion([("a", 9.0), ("b", 5.0)], [("b", 0.8)], k=10)}
    assert fused["a"] == pytest.approx(1 / 11)
    assert fused["b"] == pytest.approx(1 / 12 + 1 / 11)


def test_convex_normalises_each_list_and_weighs_by_alpha():
    fused = convex_combination([("a", 10.0), ("b", 5.0), ("c", 0.0)], [("c", 0.9), ("a", 0.5)], alpha=0.25)
    scores = {hit.key: hit.score for hit in fused}
    assert scores["a"] == pytest.approx(0.25 * 1.0 + 0.75 * 0.0)
    assert scores["c"] == pytest.approx(0.25 * 0.0 + 0.75 * 1.0)
    assert [hit.key for hit in fused] == ["c", "a", "b"]


def test_a_lone_hit_counts_as_the_best_of_its_list():
    [hit] = convex_combination([("a", 3.2)], [], alpha=0.7)
    assert hit.score == pytest.approx(0.7)


def test_documents_are_ranked_by_their_best_passage():
    doc_of_chunk = {1: "x", 2: "y", 3: "x"}
    assert best_per_document([(3, 0.9), (2, 0.8), (1, 0.7)], doc_of_chunk) == [("x", 0.9), ("y", 0.8)]
