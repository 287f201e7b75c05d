"""The array ranker matches and scores exactly as Whoosh's matchers do, node type by node type."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.searching import Searcher

from search import fields as f
from search.store import current_build
from search.whoosh.dismax import DisMax
from search.whoosh.docsets import DocSets, bits_to_mask, iter_bits, mask_to_bits
from search.whoosh.engine import RobertsonBM25F
from search.whoosh.ranking import Ranker, Weights

pytestmark = pytest.mark.backends("whoosh")  # Whoosh's own internals

# Whoosh's own matchers use whole-index statistics: compared with per_type off
WEIGHTS = Weights(b=0.5, k1=1.2, coordination=0.0, prior=1.0, per_type=False)


@pytest.fixture(scope="module")
def searcher(index_dir):
    ix = whoosh_index.open_dir(str(current_build(index_dir)), readonly=True)
    s = Searcher(ix.reader(), weighting=RobertsonBM25F(B=WEIGHTS.b, K1=WEIGHTS.k1), fromindex=ix)
    yield s
    s.close()
    ix.close()


def ranker_for(searcher: Searcher, prior_type: str | None = None) -> Ranker:
    docsets = DocSets(searcher.reader())
    prior = bits_to_mask(docsets.term(f.TYPE, prior_type) if prior_type else 0, docsets.size)
    return Ranker(searcher, docsets.postings, docsets.live_mask, prior)


def whoosh_scores(searcher: Searcher, q: wq.Query) -> dict[int, float]:
    """Whoosh's score of every matching document, each from a fresh matcher moved to it."""
    out = {}
    for doc in sorted(searcher.docs_for_query(q)):
        m = q.matcher(searcher, searcher.context())
        m.skip_to(doc)
        assert m.is_active() and m.id() == doc
        out[doc] = m.score()
    return out


QUERIES = [
    wq.Term("all", "melanoma"),
    wq.Term("all", "melanoma", boost=2.5),
    wq.Term("title", "melanoma"),
    wq.Term("type", "trial"),
    wq.Term("all", "no-such-word"),
    wq.Or([wq.Term("all", "melanoma"), wq.Term("all", "interleukin-2"), wq.Term("all", "vaccin")]),
    wq.And([wq.Term("all", "melanoma"), wq.Term("type", "trial")]),
    wq.AndNot(wq.Term("all", "cancer"), wq.Term("type", "article")),
    wq.AndMaybe(wq.Term("all", "melanoma"), wq.Term("all", "vaccin")),
    wq.Require(wq.Term("all", "melanoma"), wq.Term("all", "vaccin")),
    wq.Phrase("all", ["metastat", "melanoma"]),
    wq.Phrase("all", ["malign", "melanoma"], boost=0.4),
    wq.Phrase("all", ["random", "control", "trial"]),
    wq.Phrase("all", ["melanoma", "interleukin-2"], slop=3),
    wq.Phrase("title", ["metastat", "melanoma"]),
    wq.Phrase("all", ["melanoma", "no-such-word"]),
    wq.Prefix("all", "immun"),
    wq.Prefix("all", "pro", boost=2.5),
    wq.Prefix("title", "melanom"),
    wq.Prefix("all", "interleukin-2"),  # one word: scored as that word
    wq.Prefix("all", "zzzq"),
    wq.Wildcard("all", "con*n*"),
    wq.TermRange("all", "melanoma", "metastat"),
    wq.TermRange("title", None, "b", endexcl=True),
    wq.Every(),
    DisMax([wq.Term("all", "melanoma"), wq.Term("mesh_ui", "D008545", boost=0.5)]),
    DisMax([wq.Or([wq.Term("all", "breast"), wq.Term("all", "cancer")]),
            wq.Phrase("all", ["breast", "neoplasm"], boost=0.4)]),
    wq.And([wq.Or([wq.Term("all", "cancer"), wq.Term("all", "therapi")]),
            wq.NumericRange("year", 2000, 2020)]),
    wq.NumericRange("year", 2010, None, startexcl=True, boost=2.0),
    wq.NumericRange("year", None, 1999, endexcl=True),
    wq.NumericRange("date", 20100101, 20151231),
]  # fmt: skip


@pytest.mark.parametrize("q", QUERIES, ids=str)
def test_same_documents_and_scores_as_whoosh(searcher, q):
    ranker = ranker_for(searcher)
    mask, scores = ranker.match(q, WEIGHTS)
    expected = whoosh_scores(searcher, q)
    assert set(np.flatnonzero(mask).tolist()) == set(expected)
    assert expected or "no-such-word" in str(q) or "zzzq" in str(q)
    for doc, score in expected.items():
        assert scores[doc] == pytest.approx(score, rel=1e-9)
    assert not scores[~mask].any()


def test_top_orders_by_score_then_docnum():
    mask = np.array([True, True, True, False, True, True])
    scores = np.array([1.0, 3.0, 1.0, 9.0, 2.0, 3.0])
    assert Ranker.top(mask, scores, 10).tolist() == [1, 5, 4, 0, 2]
    assert Ranker.top(mask, scores, 2).tolist() == [1, 5]
    big = np.ones(1000, dtype=bool)
    assert Ranker.top(big, np.zeros(1000), 3).tolist() == [0, 1, 2]  # ties kept by docnum


def test_prior_scales_only_its_documents(searcher):
    q = wq.Or([wq.Term("all", "melanoma"), wq.Term("all", "neoplasm")])
    plain = ranker_for(searcher).match(q, WEIGHTS)[1]
    ranker = ranker_for(searcher, prior_type="mesh")
    half = ranker.match(q, Weights(b=0.5, k1=1.2, coordination=0.0, prior=0.5, per_type=False))[1]
    mesh = ranker.prior_docs
    assert mesh.any() and plain[mesh].any()
    assert np.allclose(half[mesh], plain[mesh] * 0.5)
    assert np.array_equal(half[~mesh], plain[~mesh])


def test_coordination_favours_documents_matching_more_concepts(searcher):
    q = wq.Or([wq.Term("all", "melanoma"), wq.Term("all", "vaccin")])
    ranker = ranker_for(searcher)
    plain = ranker.match(q, WEIGHTS)[1]
    coord = ranker.match(q, Weights(b=0.5, k1=1.2, coordination=1.0, prior=1.0, per_type=False))[1]
    both = ranker.match(wq.And(q.subqueries), WEIGHTS)[0]
    one = (plain > 0) & ~both
    assert both.any() and one.any()
    assert np.allclose(coord[both], plain[both]) and np.allclose(coord[one], plain[one] / 2)


def kinds_of(searcher: Searcher) -> np.ndarray:
    docsets = DocSets(searcher.reader())
    kinds = np.zeros(docsets.size, dtype=np.int64)
    for code, kind in enumerate(f.TYPES):
        kinds[bits_to_mask(docsets.term(f.TYPE, kind), docsets.size)] = code
    return kinds


def test_statistics_per_record_type(searcher):
    """An article's score uses the idf and average length of articles, a trial's those of
    trials: the BM25 of the formula computed over each type's documents alone."""
    docsets = DocSets(searcher.reader())
    kinds = kinds_of(searcher)
    ranker = Ranker(
        searcher, docsets.postings, docsets.live_mask, np.zeros(docsets.size, bool), kinds
    )
    per_type = Weights(b=0.5, k1=1.2, coordination=0.0, prior=1.0, per_type=True)
    mask, scores = ranker.match(wq.Term("all", "melanoma"), per_type)
    whole = ranker.match(wq.Term("all", "melanoma"), WEIGHTS)[1]
    docs, tf = docsets.postings.term("all", "melanoma")
    lengths = docsets.postings.lengths("all")
    for code, kind in enumerate(f.TYPES):
        of_kind = np.flatnonzero(kinds == code)
        mine = docs[kinds[docs] == code]
        assert len(of_kind) and len(mine), kind
        n, df = len(of_kind), len(mine)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        avg = lengths[of_kind].mean()
        t = tf[kinds[docs] == code].astype(float)
        expected = idf * t * 2.2 / (t + 1.2 * (0.5 + 0.5 * lengths[mine] / avg))
        assert np.allclose(scores[mine], expected)
    assert set(np.flatnonzero(mask)) == set(docs.tolist())
    assert not np.allclose(scores[docs], whole[docs])  # the whole index's statistics differ


def test_bitset_and_mask_round_trip():
    for bits in (0, 1, 0b1011, 1 << 76, (1 << 77) - 1):
        mask = bits_to_mask(bits, 77)
        assert len(mask) == 77 and mask_to_bits(mask) == bits
        assert np.flatnonzero(mask).tolist() == list(iter_bits(bits))


def test_phrase_verification_kept_across_queries_stays_exact(searcher):
    """A DisMax verifies only part of a phrase's candidates; the phrase asked alone later (and
    the DisMax again) must still give Whoosh's answer."""
    phrase = wq.Phrase("all", ["malign", "melanoma"], boost=0.4)
    dismax = DisMax([wq.Or([wq.Term("all", "melanoma"), wq.Term("all", "skin")]), phrase])
    ranker = ranker_for(searcher)
    for q in (dismax, phrase, dismax, wq.Phrase("all", ["malign", "melanoma"])):
        mask, scores = ranker.match(q, WEIGHTS)
        expected = whoosh_scores(searcher, q)
        assert set(np.flatnonzero(mask).tolist()) == set(expected) and expected
        for doc, score in expected.items():
            assert scores[doc] == pytest.approx(score, rel=1e-9)
    assert len(ranker._phrases) == 1
