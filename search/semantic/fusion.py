"""Reciprocal rank fusion of the BM25 listing with the semantic similarity of its first POOL
and of the records nearest the query in the whole build.

A backend ranks by BM25 as always (its relevance listing: the full matches, then the records
with some of the words) and hands the first max(POOL, page end) of it, in that order, to the
`Rerank` of the request (search/backend.py), followed by those of the DENSE records most
similar to the query in the whole build (`Fusion.dense`, brute-force cosine over the build's
vectors) that its listing holds beyond them, with a NaN BM25 score: so only records the search's
words and filters allow join (totals and facets are the backend's and do not change). The first
POOL and the joiners (the dense records found after them) are ordered again by

    rrf:     score = 1 / (K + BM25 rank) + weight / (K + rank by cosine similarity)
    zscore:  score = z(BM25 score) + weight x z(cosine similarity)

(rrf: ranks from 1; a joiner's BM25 rank is POOL + its rank among the joiners by similarity,
the same whatever page is asked; a record without a vector, a MeSH descriptor, has only the
first term. zscore: z standardizes over the records fused; a missing score counts as their
lowest); the records after the first POOL that did not join keep their BM25 order below. The
method, K and the weight depend on the query's shape (search/querymodel.py: keywords, question
or claim, description), each chosen on train data only (bench/eval_shapes.py); see README
"Semantic ranking".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from search import querymodel
from search.semantic.model import Encoder, ModelUnavailable
from search.semantic.vectors import Vectors

POOL = 200  # BM25's first records that semantic similarity re-orders
DENSE = 100  # the records most similar to the query in the whole build offered to join them
K = 20  # the RRF constant of a shape without a setting of its own
SEMANTIC_WEIGHT = 1.0
RRF, ZSCORE = "rrf", "zscore"  # by ranks (rrf) or by standardized scores (zscores)
# (method, K, weight, dense joiners) per query shape, chosen on train data only
# (bench/eval_shapes.py: NFCorpus train, SciFact train and TREC CT 2021; see README)
SETTINGS: dict[str, tuple[str, float, float, bool]] = {
    querymodel.KEYWORDS: (RRF, 5, 0.75, True),
    querymodel.QUESTION: (ZSCORE, 0, 2.0, False),
    querymodel.DESCRIPTION: (RRF, 5, 1.5, True),
}
log = logging.getLogger(__name__)

# (ids in BM25 order, their BM25 scores) -> (new order as positions, the new scores)
Rerank = Callable[[list[str], np.ndarray], tuple[np.ndarray, np.ndarray]]


def rrf(
    bm25_order: int,
    similarity: np.ndarray,
    pool: int = POOL,
    k: float = K,
    weight: float = SEMANTIC_WEIGHT,
    joiners: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The fused order of `bm25_order` records (given in BM25's order) whose first `pool` and
    `joiners` (positions after them, nearest the query first) have the cosine `similarity` (NaN:
    none), in that order. A joiner's BM25 rank is counted after the pool's, in its given order
    (the same whatever page is asked). Returns (positions in the new order, their scores)."""
    n = bm25_order
    scores = 1.0 / (k + np.arange(1, n + 1, dtype=np.float64))
    joined = np.zeros(0, dtype=np.int64) if joiners is None else np.asarray(joiners, np.int64)
    first = min(pool, n)
    head = np.concatenate([np.arange(first), joined])[: len(similarity)]
    scores[joined] = 1.0 / (k + first + np.arange(1, len(joined) + 1))
    sims = np.asarray(similarity[: len(head)], dtype=np.float64)
    have = ~np.isnan(sims)
    if have.any():
        ranked = np.flatnonzero(have)[np.argsort(-sims[have], kind="stable")]
        sem = np.zeros(len(head))
        sem[ranked] = weight / (k + np.arange(1, len(ranked) + 1))
        scores[head] += sem
    rest = np.setdiff1d(np.arange(n), head, assume_unique=True)
    order = np.concatenate([head[np.lexsort((np.arange(len(head)), -scores[head]))], rest])
    return order, scores[order]


def zscores(
    bm25: np.ndarray,
    similarity: np.ndarray,
    pool: int = POOL,
    weight: float = SEMANTIC_WEIGHT,
    joiners: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The fused order of the records whose BM25 scores are `bm25` (in BM25's order) by
    z(BM25 score) + weight x z(cosine) over the first `pool` and the `joiners` (z: standardized
    over them; a missing score or cosine counts as their lowest, and so does a joiner's score,
    which a backend has only when the page reaches it). Returns
    (positions in the new order, their scores: the fused ones mapped into [1, 2], the records
    below them 1 / (2 + position))."""
    n = len(bm25)
    joined = np.zeros(0, dtype=np.int64) if joiners is None else np.asarray(joiners, np.int64)
    head = np.concatenate([np.arange(min(pool, n)), joined])[: len(similarity)]
    scored = np.asarray(bm25, dtype=np.float64)[head]
    scored[min(pool, n) :] = np.nan  # a joiner's BM25 score is never used (whatever the page)
    fused = standard(scored) + weight * standard(
        np.asarray(similarity[: len(head)], dtype=np.float64)
    )
    ranked = head[np.lexsort((np.arange(len(head)), -fused))]
    span = float(fused.max() - fused.min()) if len(head) else 0.0
    scores = 1.0 / (2.0 + np.arange(n, dtype=np.float64))
    scores[head] = 1.0 + (fused - (fused.min() if len(head) else 0.0)) / (span or 1.0)
    rest = np.setdiff1d(np.arange(n), head, assume_unique=True)
    order = np.concatenate([ranked, rest])
    return order, scores[order]


def standard(values: np.ndarray) -> np.ndarray:
    """(x - mean) / standard deviation, NaN read as the lowest value (all zero when they are
    all alike or all missing)."""
    have = ~np.isnan(values)
    if not have.any():
        return np.zeros(len(values))
    filled = np.where(have, values, values[have].min())
    spread = float(filled.std())
    return (filled - filled.mean()) / spread if spread > 0 else np.zeros(len(values))


def setting(query: str) -> tuple[str, float, float, bool]:
    """(method, K, weight, dense joiners) for the shape of `query`."""
    return SETTINGS.get(querymodel.shape(query), (RRF, K, SEMANTIC_WEIGHT, True))


class Fusion:
    """The Rerank of one request: its query's vector against one build's vectors."""

    def __init__(
        self,
        vectors: Vectors,
        qvec: np.ndarray,
        k: float,
        weight: float,
        dense: int | None = None,
        method: str = RRF,
    ) -> None:
        self.vectors, self.qvec, self.k, self.weight = vectors, qvec, k, weight
        self.method = method
        self.limit = DENSE if dense is None else dense
        self._dense: list[str] | None = None

    def dense(self) -> list[str]:
        """The ids of the `limit` records most similar to the query in the whole build, best
        first (computed once: one pass over the build's vectors)."""
        if self._dense is None:
            rows, _ = self.vectors.top(self.qvec, self.limit) if self.limit else ([], None)
            self._dense = [self.vectors.ids[r] for r in rows]
        return self._dense

    def joiners(self, ids: list[str]) -> np.ndarray:
        """The positions after the first POOL of `ids` that hold one of `dense`, nearest
        first (those a backend appended, and those its page reached anyway)."""
        where = {key: i for i, key in enumerate(ids[POOL:], POOL)}
        return np.array([where[i] for i in self.dense() if i in where], dtype=np.int64)

    def __call__(self, ids: list[str], bm25: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        joiners = self.joiners(ids)
        head = ids[:POOL] + [ids[i] for i in joiners]
        sims = self.vectors.similarity(self.qvec, head)
        if self.method == ZSCORE:
            return zscores(bm25, sims, POOL, self.weight, joiners)
        return rrf(len(ids), sims, POOL, self.k, self.weight, joiners)


def dense_ids(rerank: Rerank) -> list[str]:
    """The records `rerank` offers to join the listing's first ones (none for a plain one)."""
    dense = getattr(rerank, "dense", None)
    return list(dense()) if dense is not None else []


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

    def query(self, build: Path, query: str) -> tuple[Vectors, np.ndarray] | None:
        """The build's vectors and the query's (encoded now), or None when the build has no
        vectors or the model can't be used (logged once). The learned second stage
        (search/ltr/) reads the pool's similarities through this too."""
        vectors = self.vectors(build)
        if vectors is None or not query.strip() or self.unavailable:
            return None
        try:
            return vectors, self.encoder().encode([query])[0]
        except ModelUnavailable as e:
            self.unavailable = str(e)
            log.warning("semantic ranking is off, search ranks by BM25 alone: %s", e)
            return None

    @staticmethod
    def fusion(vectors: Vectors, qvec: np.ndarray, query: str) -> Fusion:
        """The Rerank fusing a listing with the similarity of its records to `qvec`, by the
        setting of the shape of `query`."""
        method, k, weight, joined = setting(query)
        return Fusion(vectors, qvec, k, weight, None if joined else 0, method)
