"""The ranking formulas, written once for every backend and every caller: BM25's idf and
saturated term frequency, and the constants tuned on NFCorpus train (bench/eval_nfcorpus.py).
Both functions take floats or NumPy arrays."""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

BM25_B = 0.5  # length normalization, tuned on NFCorpus train (bench/eval_nfcorpus.py --tune)
BM25_K1 = 1.2  # term frequency saturation
# MeSH definitions are short, so BM25 favours them over trials and articles that match the same
# words; their scores are scaled by this prior (a descriptor typed by name still comes first).
MESH_PRIOR = 0.5

Num = TypeVar("Num", float, np.ndarray)


def idf(doc_count: int, doc_frequency: int) -> float:
    """Robertson/Lucene idf, log(1 + (N - n + 0.5) / (n + 0.5)): near 0 for a word in most
    records (Whoosh's own log(N / (n + 1)) + 1 never drops below 1)."""
    return math.log(1 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def saturated_tf(tf: Num, length: Num, avg_length: float, k1: float, b: float) -> Num:
    """BM25's term-frequency part, tf (k1 + 1) / (tf + k1 (1 - b + b length / avg_length)):
    a term's score in a document is idf x this (BM25F: tf is the section-weighted frequency)."""
    return (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length / avg_length))
