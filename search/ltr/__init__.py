"""The learned second stage, as PubMed's Best Match has one: BM25 retrieves (fused with the
semantic similarity, search/semantic/fusion.py), then a LambdaMART model (search/ltr/model.json,
trained by bench/train_ltr.py on the judgments of /work/shared/eval) orders the fused pool's
first POOL records again from their features (search/ltr/features.py). The records after them
keep the fused order below. Used by `rank=best` when the build has vectors and the model file
loads; `rank=bm25` never uses it.
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
from search.semantic.fusion import POOL, Rerank, rrf
from search.view import IndexView

log = logging.getLogger(__name__)
# The fusion whose ranks the model reads (its fused_rank_log feature): RRF, K 20, weight 1, the
# BM25 listing's first POOL only (bench/train_ltr.py), whatever the shape settings of the
# fusion alone (search/semantic/fusion.py SETTINGS) become.
FIRST_STAGE_K = 20.0
FIRST_STAGE_WEIGHT = 1.0
# The query shapes (search/querymodel.py) the model orders; the others keep their shape's
# fusion. Chosen on cross-validated / held-out figures (bench/README.md "Learned second
# stage"): questions and claims (SciFact, 5-fold CV) 0.7452 with the model against 0.7200 with
# their shape's fusion (2-fold CV); descriptions (TREC CT 2021) 0.7063 against 0.7887; keywords
# (NFCorpus dev) 0.3259 against 0.3261, where the fusion costs less.
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


def pool_features(
    view: IndexView, query: Query, ids: list[str], scores: np.ndarray, sims: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(the fused pool: positions in `ids`, best first; its feature rows) of a listing `ids`
    with scores `scores` whose first records have the cosines `sims` (NaN: none)."""
    # the first stage as the model was trained on it: RRF of the BM25 listing's first POOL
    fused, _ = rrf(len(ids), sims, POOL, FIRST_STAGE_K, FIRST_STAGE_WEIGHT)
    pool = fused[: min(POOL, len(ids))]
    x = features(view, query, [ids[i] for i in pool], scores[pool], sims[pool], pool)
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


__all__ = ["SHAPES", "LearnedRanker", "ModelError", "order_by_model", "pool_features"]
