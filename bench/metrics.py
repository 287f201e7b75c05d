"""Ranking metrics as trec_eval computes them (ndcg_cut, recall): pure functions.

`ranking` is the list of document ids a system returned, best first; `qrels` maps the judged
document ids of one query to their relevance grade (0 = judged not relevant).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain: the gain at rank i (from 1) divided by log2(i + 1)."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains) if g)


def ndcg_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with graded gains (gain = grade) and the ideal ranking of all judged documents;
    0.0 when the query has no relevant document."""
    ideal = dcg(sorted((g for g in qrels.values() if g > 0), reverse=True)[:k])
    if not ideal:
        return 0.0
    return dcg([max(qrels.get(doc, 0), 0) for doc in ranking[:k]]) / ideal


def recall_at_k(
    ranking: Sequence[str], qrels: Mapping[str, int], k: int = 100, min_grade: int = 1
) -> float:
    """The share of the relevant documents (grade >= min_grade) found in the first k;
    0.0 when the query has no relevant document."""
    relevant = {doc for doc, g in qrels.items() if g >= min_grade}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)
