"""The learned second stage, as PubMed's Best Match has one: BM25 retrieves, fused with the
semantic similarity by the setting of the query's shape (search/semantic/fusion.py SETTINGS:
z-scores for questions and claims), then a LambdaMART model (search/ltr/model.json, trained by
bench/train_ltr.py on the judgments of /work/shared/eval) orders that fused pool (the listing's
first POOL records) again from their features (search/ltr/features.py, the fused score among
them). The records after them keep the listing's order below. Used by `rank=best` when the build
has vectors and the model file loads; `rank=bm25` never uses it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from search import querymodel
from search.ltr.features import FEATURES, Query, features, read_query
from search.ltr.model import MODEL_FILE, ModelError, TreeModel
from search.semantic.fusion import POOL, RRF, SETTINGS, Rerank, rrf, standard
from search.view import IndexView

log = logging.getLogger(__name__)
# The query shapes (search/querymodel.py) the model orders; the others keep their shape's
# fusion. Chosen on cross-validated / held-out figures (bench/README.md "Learned second
# stage"): questions and claims (SciFact, 5-fold CV) with the model against their shape's
# fusion alone (2-fold CV); descriptions (TREC CT 2021) and keywords (NFCorpus dev) keep the
# fusion, which scored as well or better there and costs less.
SHAPES = frozenset({querymodel.QUESTION})


def order_by_model(model_scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions in the new order, their scores) of `n` records whose first len(model_scores)
    are ordered by the model (ties keep the given order), the others after them unchanged,
    scored below the lowest of the first."""
    head = len(model_scores)
    order = np.concatenate(
        [np.lexsort((np.arange(head), -model_scores)), np.arange(head, n, dtype=np.int64)]
    )
    floor = float(model_scores.min()) if head else 0.0
    scores = np.concatenate([model_scores, floor - np.arange(1, n - head + 1, dtype=np.float64)])
    return order.astype(np.int64), scores[order]


def first_stage(
    shape: str, scores: np.ndarray, sims: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pool the model orders: the listing's first POOL records (scores `scores`, cosines
    `sims`, NaN: none) fused by the setting of the query's shape (search/semantic/fusion.py
    SETTINGS, without the dense joiners): (their positions in the fused order, the fused
    score, z of the BM25 score and z of the cosine of each, in that order)."""
    n = min(POOL, len(scores), len(sims))
    method, k, weight, _ = SETTINGS[shape]
    z_bm25 = standard(np.asarray(scores[:n], dtype=np.float64))
    z_sim = standard(np.asarray(sims[:n], dtype=np.float64))
    if method == RRF:
        order, fused = rrf(n, sims[:n], n, k, weight)
    else:  # z-scores
        value = z_bm25 + weight * z_sim
        order = np.lexsort((np.arange(n), -value))
        fused = value[order]
    return order, fused, z_bm25[order], z_sim[order]


def pool_features(
    view: IndexView, query: Query, ids: list[str], scores: np.ndarray, sims: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(the fused pool: positions in `ids`, best first; its feature rows) of a listing `ids`
    with scores `scores` whose first records have the cosines `sims` (NaN: none)."""
    pool, fused, z_bm25, z_sim = first_stage(querymodel.SHAPES[query.shape], scores, sims)
    x = features(view, query, [ids[i] for i in pool], scores[pool], sims[pool], pool)
    x[:, FEATURES.index("fused_score")] = fused
    x[:, FEATURES.index("score_z")] = z_bm25
    x[:, FEATURES.index("similarity_z")] = z_sim
    return pool, x


class LearnedRanker:
    """The model, loaded once (a file that can't be used turns the stage off, logged once)."""

    def __init__(self, path: Path = MODEL_FILE) -> None:
        self.path = path
        self.unavailable = ""
        self._model: TreeModel | None = None
        self._lock = threading.Lock()

    def model(self) -> TreeModel | None:
        if self._model is None and not self.unavailable:
            with self._lock:
                if self._model is None and not self.unavailable:
                    try:
                        model = TreeModel.load(self.path)
                        model.check(FEATURES)
                        self._model = model
                    except (OSError, ValueError, KeyError, TypeError) as e:
                        self.unavailable = f"{self.path.name}: {e}"
                        log.warning("the learned ranking is off: %s", self.unavailable)
        return self._model

    @staticmethod
    def orders(query: str) -> bool:
        """Whether the model orders a query of this shape (SHAPES)."""
        return querymodel.shape(query) in SHAPES

    def rerank(
        self,
        view: Callable[[], IndexView],
        query: str,
        similarity: Callable[[list[str]], np.ndarray],
    ) -> Rerank | None:
        """The request's Rerank: the fused pool scored by the model. `view` gives the index
        view (called inside the backend's search, its lock held); `similarity` the cosines
        of records (NaN: no vector). None when the model is unavailable."""
        model = self.model()
        if model is None:
            return None
        read = read_query(query)

        def reorder(ids: list[str], scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            pool, x = pool_features(view(), read, ids, scores, similarity(ids[:POOL]))
            order, out = order_by_model(model.predict(x), len(ids))
            rest = np.setdiff1d(np.arange(len(ids)), pool, assume_unique=True)
            return np.concatenate([pool, rest])[order], out

        return reorder


__all__ = [
    "SHAPES",
    "LearnedRanker",
    "ModelError",
    "first_stage",
    "order_by_model",
    "pool_features",
]
