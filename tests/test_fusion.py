"""Fusion arithmetic on hand-made ranked lists."""

import numpy as np
import pytest

from search.fusion import (
    among,
    best_per_document,
    convex_combination,
    ranked_list,
    reciprocal_rank_fusion,
    single_list,
)


def scores_of(fused) -> dict[int, float]:
    return dict(zip(fused.keys.tolist(), fused.scores.tolist(), strict=True))


def test_rrf_adds_reciprocal_ranks():
    fused = scores_of(reciprocal_rank_fusion(ranked_list([(1, 9.0), (2, 5.0)]), ranked_list([(2, 0.8)]), k=10))
    assert fused[1] == pytest.approx(1 / 11)
    assert fused[2] == pytest.approx(1 / 12 + 1 / 11)


def test_each_hit_keeps_its_rank_and_score_in_both_lists():
    keyword, semantic = ranked_list([(7, 9.0), (3, 5.0), (5, 4.0)]), ranked_list([(5, 0.8), (9, 0.6), (7, 0.5)])
    fused = reciprocal_rank_fusion(keyword, semantic)
    hits = {hit.key: hit for hit in (fused.hit(position, key) for position, key in enumerate(fused.keys.tolist()))}
    seven = hits[7]
    assert (seven.keyword_rank, seven.keyword_score, seven.semantic_rank, seven.semantic_score) == (1, 9.0, 3, 0.5)
    assert (hits[5].keyword_rank, hits[5].semantic_rank, hits[5].semantic_score) == (3, 1, 0.8)
    assert (hits[3].semantic_rank, hits[3].semantic_score) == (None, None)
    assert (hits[9].keyword_rank, hits[9].keyword_score, hits[9].semantic_rank) == (None, None, 2)


def test_ties_rank_by_key_whichever_list_they_came_from():
    """A set of shards lists equal hits in another order than one index; ranking them by key
    (a document's number, in doc_id order) makes both rank them alike."""
    fused = reciprocal_rank_fusion(ranked_list([(4, 2.0), (8, 1.0)]), ranked_list([(6, 0.9), (2, 0.8)]))
    assert fused.keys.tolist() == [4, 6, 2, 8]


def test_convex_normalises_each_list_and_weighs_by_alpha():
    keyword, semantic = ranked_list([(1, 10.0), (2, 5.0), (3, 0.0)]), ranked_list([(3, 0.9), (1, 0.5)])
    fused = convex_combination(keyword, semantic, alpha=0.25)
    scores = scores_of(fused)
    assert scores[1] == pytest.approx(0.25 * 1.0 + 0.75 * 0.0)
    assert scores[3] == pytest.approx(0.25 * 0.0 + 0.75 * 1.0)
    assert fused.keys.tolist() == [3, 1, 2]


def test_a_lone_hit_counts_as_the_best_of_its_list():
    fused = convex_combination(ranked_list([(1, 3.2)]), ranked_list([]), alpha=0.7)
    assert fused.scores.tolist() == [pytest.approx(0.7)]


def test_one_list_keeps_its_own_scores():
    fused = single_list(ranked_list([]), ranked_list([(4, 0.9), (2, 0.3)]))
    assert scores_of(fused) == {4: 0.9, 2: 0.3} and fused.hit(0, "d").semantic_rank == 1


def test_documents_are_ranked_by_their_best_passage():
    chunk_document = np.array([0, 10, 11, 10])  # chunk id → document number
    documents, scores = best_per_document(ranked_list([(3, 0.9), (2, 0.8), (1, 0.7)]), chunk_document)
    assert documents.tolist() == [10, 11] and scores.tolist() == [0.9, 0.8]


def test_among_finds_keys_in_a_sorted_array():
    keys = np.array([5, 0, 12, 7, 99])
    assert among(keys, np.array([0, 5, 7])).tolist() == [True, True, False, True, False]
    assert among(keys, np.array([], dtype=np.int64)).tolist() == [False] * 5
