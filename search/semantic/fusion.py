"""Reciprocal rank fusion of the BM25 listing with the semantic similarity of its first POOL.

A backend ranks by BM25 as always (its relevance listing: the full matches, then the records
with some of the words) and hands the first max(POOL, page end) of it, in that order, to the
`Rerank` of the request (search/backend.py). The first POOL are ordered again by

    score = 1 / (K + BM25 rank) + SEMANTIC_WEIGHT / (K + rank by cosine similarity)

(ranks from 1; a record without a vector, a MeSH descriptor, has only the first term); the
records after them keep their BM25 order below (each scores 1 / (K + BM25 rank)). K and the
weight were tuned on the train splits (bench/eval_semantic.py). Filters, totals and facets are
the backend's and do not change. The query is encoded only when the pool holds two records.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from search.semantic.model import Encoder, ModelUnavailable
from search.semantic.vectors import Vectors

POOL = 200  # BM25's first records that semantic similarity re-orders
K = 20  # the RRF constant (tuned on NFCorpus and SciFact train, TREC CT 2021)
SEMANTIC_WEIGHT = 1.0
log = logging.getLogger(__name__)

# (ids in BM25 order, their BM25 scores) -> (new order as positions, the new scores)
Rerank = Callable[[list[str], np.ndarray], tuple[np.ndarray, np.ndarray]]


def rrf(
    bm25_order: int,
    similarity: np.ndarray,
    pool: int = POOL,
    k: float = K,
    weight: float = SEMANTIC_WEIGHT,
) -> tuple[np.ndarray, np.ndarray]:
    """The fused order of `bm25_order` records (given best first) whose first `pool` have the
    cosine `similarity` (NaN: none). Returns (positions in the new order, their scores)."""
    n = bm25_order
    scores = 1.0 / (k + np.arange(1, n + 1, dtype=np.float64))
    head = min(pool, n, len(similarity))
    sims = np.asarray(similarity[:head], dtype=np.float64)
    have = ~np.isnan(sims)
    if have.any():
        ranked = np.flatnonzero(have)[np.argsort(-sims[have], kind="stable")]
        sem = np.zeros(head)
        sem[ranked] = weight / (k + np.arange(1, len(ranked) + 1))
        scores[:head] += sem
    order = np.concatenate([np.lexsort((np.arange(head), -scores[:head])), np.arange(head, n)])
    return order, scores[order]


class SemanticRanker:
    """Fusion for the builds of one index folder: each build's vectors loaded once."""

    def __init__(self, encoder: Callable[[], Encoder]) -> None:
        self.encoder = encoder
        self.unavailable = ""  # why the model can't be used, once it failed to load
        self._vectors: dict[Path, Vectors | None] = {}
        self._lock = threading.Lock()

    def vectors(self, build: Path) -> Vectors | None:
        with self._lock:
            if build not in self._vectors:
                if len(self._vectors) > 4:  # old builds: switched out
                    self._vectors.clear()
                self._vectors[build] = Vectors.load(build)
            return self._vectors[build]

    def warm(self) -> None:
        """Load the model now rather than on the first search (a failure is logged once)."""
        try:
            self.encoder()
        except ModelUnavailable as e:
            self.unavailable = str(e)
            log.warning("semantic ranking is off, search ranks by BM25 alone: %s", e)

    def rerank(self, build: Path, query: str) -> Rerank | None:
        """The request's Rerank (the query encoded now, before the backend is busy with it),
        or None when the build has no vectors or the model can't be used (logged once)."""
        vectors = self.vectors(build)
        if vectors is None or not query.strip() or self.unavailable:
            return None
        try:
            qvec = self.encoder().encode([query])[0]
        except ModelUnavailable as e:
            self.unavailable = str(e)
            log.warning("semantic ranking is off, search ranks by BM25 alone: %s", e)
            return None

        def reorder(ids: list[str], bm25: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return rrf(len(ids), vectors.similarity(qvec, ids[:POOL]))

        return reorder
