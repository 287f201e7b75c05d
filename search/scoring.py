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

# A field's length in a document as the Whoosh backend stores it, one byte a length (the table
# of whoosh.util.numeric: round((1.033^n - 1) x 27) for n = 0..255): a length counts as the
# first of these at or above it, 106,374 at most. The Xapian backend stores and scores the same
# (search/xapian/schema.py, sources.py), so a field has at most 256 distinct lengths.
LENGTH_STEPS = np.array([round((1.033**n - 1) * 27) for n in range(256)], dtype=np.int64)


def stored_length(length: int | np.ndarray) -> int | np.ndarray:
    """The length a field of `length` words is stored and scored with (LENGTH_STEPS)."""
    steps = np.minimum(np.searchsorted(LENGTH_STEPS, length, side="left"), 255)
    found = LENGTH_STEPS[steps]
    return found if isinstance(found, np.ndarray) and np.ndim(length) else int(found)


def idf(doc_count: int, doc_frequency: int) -> float:
    """Robertson/Lucene idf, log(1 + (N - n + 0.5) / (n + 0.5)): near 0 for a word in most
    records (Whoosh's own log(N / (n + 1)) + 1 never drops below 1)."""
    return math.log(1 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def saturated_tf(tf: Num, length: Num, avg_length: float, k1: float, b: float) -> Num:
    """BM25's term-frequency part, tf (k1 + 1) / (tf + k1 (1 - b + b length / avg_length)):
    a term's score in a document is idf x this (BM25F: tf is the section-weighted frequency)."""
    return (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length / avg_length))


class TypeStats:
    """Collection statistics per record type: a term's idf and a field's average length are
    those of the documents of the scored document's own type, so an article is scored against
    articles and a trial against trials, and the ~27,000 short MeSH records of a small index
    skew neither (issue 17: +0.017 nDCG@10 on SciFact in a simulation).

    `kinds` holds each document's type as a small integer, `live` the documents that count."""

    def __init__(self, kinds: np.ndarray, live: np.ndarray) -> None:
        self.kinds = kinds.astype(np.int64)
        self.n_kinds = int(self.kinds.max(initial=0)) + 1
        self.counts = np.bincount(self.kinds[live], minlength=self.n_kinds).astype(np.float64)
        self.live = live
        self._avg: dict[str, np.ndarray] = {}

    def average_lengths(self, field: str, lengths: np.ndarray) -> np.ndarray:
        """The mean length of `field` per type (1 where a type has no documents)."""
        avg = self._avg.get(field)
        if avg is None:
            total = np.bincount(
                self.kinds[self.live], weights=lengths[self.live], minlength=self.n_kinds
            )
            avg = self._avg[field] = np.where(
                self.counts > 0, total / np.maximum(self.counts, 1), 1.0
            )
            avg[avg <= 0] = 1.0
        return avg

    def idfs(self, docs: np.ndarray) -> np.ndarray:
        """Robertson idf per type of a term found in `docs`."""
        docs = docs[self.live[docs]]
        df = np.bincount(self.kinds[docs], minlength=self.n_kinds).astype(np.float64)
        return np.log(1 + (self.counts - df + 0.5) / (df + 0.5))

    def bm25(
        self, field: str, lengths: np.ndarray, docs: np.ndarray, tf: np.ndarray, k1: float, b: float
    ) -> np.ndarray:
        """BM25 of one term in each of `docs` (term frequencies `tf`), by type."""
        kind = self.kinds[docs]
        avg = self.average_lengths(field, lengths)[kind]
        return self.idfs(docs)[kind] * saturated_tf(tf, lengths[docs], avg, k1, b)
