"""bench/metrics.py: nDCG@k and recall@k on tiny rankings computed by hand."""

from __future__ import annotations

import math

import pytest

from bench.metrics import dcg, ndcg_at_k, recall_at_k


def test_dcg_discounts_by_log2_of_rank_plus_one() -> None:
    # 2/log2(2) + 0/log2(3) + 1/log2(4) = 2 + 0 + 0.5
    assert dcg([2, 0, 1]) == 2.5
    assert dcg([]) == 0.0


def test_ndcg_perfect_ranking_is_one() -> None:
    assert ndcg_at_k(["a", "b"], {"a": 2, "b": 1}) == 1.0


def test_ndcg_graded_gains_and_ideal_from_all_judged_documents() -> None:
    # DCG = 2/1 + 1/2 = 2.5 (b is not judged: gain 0); ideal [2, 1, 1] = 2 + 1/log2(3) + 1/2.
    qrels = {"a": 2, "c": 1, "d": 1}
    assert ndcg_at_k(["a", "b", "c"], qrels) == pytest.approx(0.7984842484031685)
    assert ndcg_at_k(["a", "b", "c"], qrels) == 2.5 / (2.5 + 1 / math.log2(3))


def test_ndcg_cuts_ranking_and_ideal_at_k() -> None:
    # At k=1 the ideal is just the best grade (2); the ranking's first document has grade 1.
    assert ndcg_at_k(["c", "a"], {"a": 2, "c": 1}, k=1) == 0.5
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}, k=2) == 0.0
    assert ndcg_at_k(["x", "a"], {"a": 1}, k=10) == pytest.approx(0.6309297535714575)


def test_ndcg_without_relevant_documents_is_zero() -> None:
    assert ndcg_at_k(["a"], {"a": 0}) == 0.0
    assert ndcg_at_k([], {"a": 1}) == 0.0


def test_recall_counts_relevant_documents_in_first_k() -> None:
    qrels = {"a": 1, "b": 2, "c": 1, "d": 0}  # d is judged not relevant
    assert recall_at_k(["a", "x", "b"], qrels, k=2) == pytest.approx(1 / 3)
    assert recall_at_k(["a", "x", "b", "d"], qrels, k=100) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "b"], qrels, k=100, min_grade=2) == 1.0


def test_recall_without_relevant_documents_is_zero() -> None:
    assert recall_at_k(["a"], {"a": 0}) == 0.0
