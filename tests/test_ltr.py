"""The learned second stage (search/ltr/): the committed model re-ranks the fused pool of a real
search on both backends, `rank=bm25` and a date sort switch it off, the NumPy walk of the trees
gives LightGBM's own scores, and a model file that can't be used leaves the fusion in place."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest

from search import querymodel
from search.engine import SearchEngine
from search.ltr import SHAPES, LearnedRanker, first_stage, order_by_model, pool_features
from search.ltr.features import FEATURES, read_query
from search.ltr.model import MODEL_FILE, TreeModel, from_lightgbm_dump
from search.models import SearchRequest
from search.semantic.fusion import POOL, SETTINGS, ZSCORE, Fusion, zscores
from search.store import linked_build

DATA = Path(__file__).parent / "data"
QUERIES = (
    "lung cancer",
    "liquid biopsy for lung cancer treatment resistance",
    "A 62-year-old man with metastatic non-small cell lung cancer and a history of smoking "
    "presents with cough. No history of diabetes.",
)
QUESTION = QUERIES[1]  # a question or claim: the shape the model orders (search/ltr SHAPES)


@pytest.fixture(scope="module", params=["whoosh", "xapian"])
def built(request, vector_built) -> Path:
    """The session's index with vectors of this backend (tests/conftest.py)."""
    return vector_built(request.param)[0]


def expected_order(engine: SearchEngine, req: SearchRequest, model: TreeModel) -> list[str]:
    """The listing ordered as the second stage should: the fused pool by the model's scores."""
    build = linked_build(engine.index_dir)
    assert engine.semantic is not None and build is not None
    found = engine.semantic.query(build, req.q)
    assert found is not None
    vectors, qvec = found
    reader = engine.reader()
    seen: list[list[str]] = []

    def capture(ids: list[str], scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pool, x = pool_features(
            reader.view(), read_query(req.q), ids, scores, vectors.similarity(qvec, ids[:POOL])
        )
        order = np.lexsort((np.arange(len(pool)), -model.predict(x)))
        seen.append([ids[i] for i in pool[order]])
        return np.arange(len(ids)), scores

    reader.search(req, rerank=capture)
    return seen[0]


def test_the_committed_model_is_small_and_reads_the_engines_features():
    assert MODEL_FILE.stat().st_size < 400_000
    model = TreeModel.load()
    model.check(FEATURES)
    assert model.feature.shape[0] >= 50  # trees
    assert set(np.unique(model.feature[model.left != -1])) <= set(range(len(FEATURES)))


def test_rank_best_orders_the_fused_pool_by_the_committed_model(built):
    engine = SearchEngine(built)
    fused_only = SearchEngine(built, learned=False)
    model = TreeModel.load()
    changed = 0
    for q in QUERIES:
        req = SearchRequest(q=q, size=50)
        best = engine.search(req)
        fused = fused_only.search(req)
        assert fused.ranking == "bm25+semantic"
        if querymodel.shape(q) not in SHAPES:  # its shape's fusion: the model not used
            assert best.ranking == "bm25+semantic"
            assert [(h.id, h.score) for h in best.hits] == [(h.id, h.score) for h in fused.hits]
            continue
        assert best.ranking == "bm25+semantic+ltr"
        assert [h.id for h in best.hits] == expected_order(engine, req, model)[:50]
        scores = [h.score for h in best.hits]
        assert scores == sorted(scores, reverse=True)
        assert fused.total == best.total and fused.facets == best.facets
        changed += [h.id for h in fused.hits] != [h.id for h in best.hits]
        bm25 = engine.search(SearchRequest(q=q, size=50, rank="bm25"))
        plain = engine.reader().search(SearchRequest(q=q, size=50))
        assert bm25.ranking == "bm25"
        assert [h.id for h in bm25.hits] == [h.id for h in plain.hits]
    assert changed  # the model does re-rank
    pages = [engine.search(SearchRequest(q=QUESTION, size=5, page=p)).hits for p in (1, 2, 3)]
    whole = engine.search(SearchRequest(q=QUESTION, size=15)).hits
    assert [h.id for page in pages for h in page] == [h.id for h in whole]
    assert engine.search(SearchRequest(q=QUESTION, sort="newest")).ranking == "bm25"
    assert engine.status()["ranking"] == "bm25+semantic+ltr"


def test_the_model_orders_the_shapes_own_fusion_and_reads_its_score(built):
    """The pool the model orders is the product's fusion of a question (z-scores, its weight,
    search/semantic/fusion.py SETTINGS) without the model, and the fused score is a feature."""
    engine = SearchEngine(built)
    build = linked_build(built)
    vectors, qvec = engine.semantic.query(build, QUESTION)
    method, _, weight, _ = SETTINGS[querymodel.QUESTION]
    assert method == ZSCORE
    seen = []

    def capture(ids, scores):  # noqa: ANN001, ANN202
        sims = vectors.similarity(qvec, ids[:POOL])
        pool, x = pool_features(engine.reader().view(), read_query(QUESTION), ids, scores, sims)
        fused, _ = zscores(scores, sims, POOL, weight)
        product, _ = Fusion(vectors, qvec, 0, weight, 0, ZSCORE)(ids, scores)
        seen.append((pool, x, fused, product, scores, sims))
        return np.arange(len(ids)), scores

    engine.reader().search(SearchRequest(q=QUESTION, size=20), rerank=capture)
    pool, x, fused, product, scores, sims = seen[0]
    assert len(pool) > 10
    assert pool.tolist() == fused[: len(pool)].tolist() == product[: len(pool)].tolist()
    column = x[:, FEATURES.index("fused_score")]
    assert (np.diff(column) <= 1e-6).all() and column[0] > column[-1]
    z = (scores[pool] - scores[: len(pool)].mean()) / scores[: len(pool)].std()
    assert np.allclose(x[:, FEATURES.index("score_z")], z, atol=1e-5)
    assert np.allclose(column, z + weight * x[:, FEATURES.index("similarity_z")], atol=1e-4)
    # the keyword shape's pool is its own fusion (ranks), not the question's
    order, rrf_scores, *_ = first_stage(querymodel.KEYWORDS, scores, sims)
    assert (np.diff(rrf_scores) <= 0).all() and rrf_scores.max() < 1


def test_the_numpy_walk_gives_lightgbms_scores(built):
    lgb = pytest.importorskip("lightgbm")  # a dev requirement: training only
    engine = SearchEngine(built)
    xs, ys, groups = [], [], []
    for q in QUERIES:
        build = linked_build(built)
        vectors, qvec = engine.semantic.query(build, q)
        rows: list[np.ndarray] = []

        def capture(ids, scores, rows=rows, q=q, vectors=vectors, qvec=qvec):  # noqa: ANN001, ANN202
            sims = vectors.similarity(qvec, ids[:POOL])
            rows.append(pool_features(engine.reader().view(), read_query(q), ids, scores, sims)[1])
            return np.arange(len(ids)), scores

        engine.reader().search(SearchRequest(q=q), rerank=capture)
        x = rows[0]
        xs.append(x)
        # a real property of each record as the label: a trial, an article or a descriptor
        ys.append(2 * x[:, FEATURES.index("is_trial")] + x[:, FEATURES.index("is_article")])
        groups.append(len(x))
    x = np.concatenate(xs)
    assert np.isnan(x).any()  # descriptors have no vector: missing values take the default side
    params = {"objective": "lambdarank", "num_leaves": 7, "min_data_in_leaf": 2, "verbose": -1}
    booster = lgb.train(params, lgb.Dataset(x, np.concatenate(ys), group=groups), 20)
    model = TreeModel.from_json(from_lightgbm_dump(booster.dump_model(), FEATURES))
    assert np.allclose(model.predict(x), booster.predict(x), rtol=0, atol=1e-9)


def test_a_model_that_cannot_be_used_leaves_the_fusion(built, tmp_path, caplog):
    other = json.loads(MODEL_FILE.read_text())
    other["features"] = [*other["features"][:-1], "clicks"]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(other))
    engine = SearchEngine(built)
    engine.learned = LearnedRanker(path)
    page = engine.search(SearchRequest(q=QUESTION))
    assert page.ranking == "bm25+semantic" and page.total
    assert "trained on other features" in engine.learned.unavailable
    assert engine.status()["ranking"] == "bm25+semantic"
    assert "the learned ranking is off" in caplog.text


def test_the_model_orders_the_head_and_keeps_the_rest_below():
    order, scores = order_by_model(np.array([0.5, 2.0, -1.0, 2.0]), 6)
    assert order.tolist() == [1, 3, 0, 2, 4, 5]  # a tie keeps the given order
    assert scores.tolist() == [2.0, 2.0, 0.5, -1.0, -2.0, -3.0]


def test_the_api_says_the_learned_ranking_was_used(built):
    from web import create_app

    client = create_app({"INDEX_DIR": str(built), "TESTING": True}).test_client()
    asked = "/api/search?" + urlencode({"q": QUESTION})
    best, keywords = (
        client.get(asked).get_json(),
        client.get("/api/search?q=lung+cancer").get_json(),
    )
    bm25 = client.get(asked + "&rank=bm25").get_json()
    assert (best["ranking"], keywords["ranking"], bm25["ranking"]) == (
        "bm25+semantic+ltr", "bm25+semantic", "bm25")  # fmt: skip
    assert client.get("/api/health").get_json()["ranking"] == "bm25+semantic+ltr"
    page = client.get("/search?" + urlencode({"q": QUESTION})).get_data(as_text=True)
    assert "which a learned model then orders again" in page
