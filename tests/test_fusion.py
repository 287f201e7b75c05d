"""The fusion's settings per query shape and its dense joiners (search/semantic/fusion.py):
the records nearest the query in the whole build join BM25's first records, but only those the
search's words and filters allow, on both backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import search.whoosh.listing as whoosh_listing
import search.xapian.listing as xapian_listing
from search import querymodel
from search.engine import SearchEngine
from search.models import SearchRequest
from search.semantic import fusion
from search.semantic import vectors as vectors_module
from search.semantic.fusion import Fusion, rrf, zscores
from search.semantic.vectors import Vectors
from search.store import current_build

DATA = Path(__file__).parent / "data"
QUERY = "liquid biopsy for lung cancer treatment resistance"


@pytest.fixture(scope="module", params=["whoosh", "xapian"])
def built(request, vector_built) -> Path:
    """The session's index with vectors of this backend (tests/conftest.py)."""
    return vector_built(request.param)[0]


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch) -> int:
    """A pool of 3, so the sample's listings reach beyond it (the product's is 200)."""
    for module in (fusion, whoosh_listing, xapian_listing):
        monkeypatch.setattr(module, "POOL", 3)
    return 3


def test_rrf_ranks_the_joiners_after_the_pool_and_by_their_similarity():
    # 6 records, a pool of 2; positions 5 and 3 join (nearest first); similarities: the pool's
    # two, then the joiners' (the first joiner has no vector)
    sims = np.array([0.2, 0.1, np.nan, 0.9])
    order, scores = rrf(6, sims, pool=2, k=1, weight=1.0, joiners=np.array([5, 3]))
    # BM25 ranks: pool 1, 2; joiners 3 (position 5), 4 (position 3); semantic: position 3
    # first, then the pool's; positions 2 and 4 keep their order below
    assert order.tolist() == [0, 3, 1, 5, 2, 4]
    assert scores.tolist()[:4] == pytest.approx(
        [1 / 2 + 1 / 3, 1 / 5 + 1 / 2, 1 / 3 + 1 / 4, 1 / 4]
    )
    plain, _ = rrf(6, sims[:2], pool=2, k=1)
    assert plain.tolist() == [0, 1, 2, 3, 4, 5]


def test_zscores_fuses_standardized_scores_and_keeps_the_rest_below():
    bm25 = np.array([4.0, 3.0, 2.0, 1.0, 0.5, np.nan])  # the last: a joiner
    sims = np.array([0.1, np.nan, 0.3, 0.9])  # the pool of 3 (one without a vector), the joiner
    order, scores = zscores(bm25, sims, pool=3, weight=1.0, joiners=np.array([5]))

    def z(x):  # noqa: ANN001, ANN202
        return (x - x.mean()) / x.std()

    fused = z(np.array([4.0, 3.0, 2.0, 2.0])) + z(np.array([0.1, 0.1, 0.3, 0.9]))
    assert order.tolist()[:4] == [[0, 1, 2, 5][i] for i in np.argsort(-fused, kind="stable")]
    assert order.tolist()[4:] == [3, 4]  # the rest keep BM25's order below
    assert scores[0] == 2.0 and scores[3] == 1.0 and scores[4] < 1.0
    assert scores.tolist() == sorted(scores.tolist(), reverse=True)
    alike, _ = zscores(np.array([1.0, 1.0]), np.array([np.nan, np.nan]), pool=2)
    assert alike.tolist() == [0, 1]


def test_each_query_shape_has_its_own_setting(built, monkeypatch):
    monkeypatch.setitem(fusion.SETTINGS, querymodel.QUESTION, (fusion.ZSCORE, 0, 0.75, False))
    monkeypatch.setitem(fusion.SETTINGS, querymodel.KEYWORDS, (fusion.RRF, 60, 2.0, True))
    engine = SearchEngine(built, learned=False)  # the first stage alone (tests/test_ltr.py)
    build = current_build(built)
    assert engine.semantic is not None
    claim_query = "Liquid biopsy predicts resistance in lung cancer."
    claim = engine.semantic.fusion(*engine.semantic.query(build, claim_query), claim_query)
    keywords = engine.semantic.fusion(*engine.semantic.query(build, "lung cancer"), "lung cancer")
    assert isinstance(claim, Fusion) and isinstance(keywords, Fusion)
    assert (claim.method, claim.weight, claim.dense()) == (fusion.ZSCORE, 0.75, [])
    assert (keywords.method, keywords.k, keywords.weight) == (fusion.RRF, 60, 2.0)
    assert len(keywords.dense()) == min(fusion.DENSE, len(keywords.vectors.ids))
    ids = [h.id for h in engine.search(SearchRequest(q=QUERY, rank="bm25", size=100)).hits]
    order, scores = claim(ids, np.linspace(9.0, 1.0, len(ids)))
    positions = list(range(len(ids)))
    assert sorted(order.tolist()) == positions and order.tolist() != positions
    assert scores.tolist() == sorted(scores.tolist(), reverse=True)


@pytest.mark.parametrize("method", [fusion.RRF, fusion.ZSCORE])
def test_the_nearest_records_of_the_build_join_only_from_the_listing(
    built, small_pool, monkeypatch, method
):
    monkeypatch.setitem(fusion.SETTINGS, querymodel.shape(QUERY), (method, 20, 1.0, True))
    engine = SearchEngine(built, learned=False)
    vectors = Vectors.load(current_build(built))
    assert vectors is not None
    for filters in ((), (("type", ("trial",)),)):
        bm25 = engine.search(SearchRequest(q=QUERY, filters=filters, rank="bm25", size=100))
        best = engine.search(SearchRequest(q=QUERY, filters=filters, size=100))
        listing = [h.id for h in bm25.hits]
        assert len(listing) > 10 and best.total == bm25.total and best.facets == bm25.facets
        assert sorted(h.id for h in best.hits) == sorted(listing)  # nobody from outside
        planned = engine.plan(SearchRequest(q=QUERY, filters=filters))
        assert planned is not None and planned[1] == "bm25+semantic"
        rerank = planned[0]
        assert isinstance(rerank, Fusion)
        nearest = rerank.dense()
        assert len(nearest) == min(fusion.DENSE, len(vectors.ids))
        assert [i for i in nearest if i not in listing]  # the whole build's, not the listing's
        joiners = [i for i in nearest if i in listing[small_pool:]]
        assert joiners
        ranked = [h.id for h in best.hits]
        head = len(joiners) + small_pool
        assert set(ranked[:head]) == set(listing[:small_pool]) | set(joiners)
        assert ranked[head:] == [i for i in listing[small_pool:] if i not in joiners]
        if filters:
            assert {h.type for h in best.hits} == {"trial"}
        scores = [h.score for h in best.hits[:head]]
        assert scores == sorted(scores, reverse=True)
        pages = [engine.search(SearchRequest(q=QUERY, filters=filters, size=4, page=p)).hits
                 for p in (1, 2, 3)]  # fmt: skip
        assert [h.id for page in pages for h in page] == ranked[:12]


def test_the_nearest_records_are_those_of_the_whole_build(built, monkeypatch):
    vectors = Vectors.load(current_build(built))
    assert vectors is not None
    qvec = vectors.matrix[5].astype(np.float32)
    rows, sims = vectors.top(qvec, 7)
    every = np.asarray(vectors.matrix, dtype=np.float32) @ qvec
    assert rows[0] == 5 and sims.tolist() == sorted(sims.tolist(), reverse=True)
    assert sims[-1] == pytest.approx(np.sort(every)[-7])
    assert Fusion(vectors, qvec, 20, 1.0, dense=0).dense() == []
    # a build too big for a float32 copy: read a chunk at a time, the same rows
    monkeypatch.setattr(vectors_module, "TOP_CACHE_BYTES", 0)
    monkeypatch.setattr(vectors_module, "TOP_CHUNK", 50)
    chunked = Vectors.load(current_build(built))
    assert chunked is not None
    again, _ = chunked.top(qvec, 7)
    assert chunked._f32 is None and again.tolist() == rows.tolist()
