"""The reference BM25 of bench/evaluate.py (bench/plainbm25.py) and its condensed scoring."""

from __future__ import annotations

import math

import pytest

from bench.evalsets import COLLECTIONS
from bench.evaluate import condensed, score
from bench.plainbm25 import PlainBM25

DOCS = [
    ("a", "Melanoma of the skin treated with interleukin-2."),
    ("b", "Interleukin-2 in renal cell carcinoma; interleukin therapy."),
    ("c", "Diet and exercise in type 2 diabetes."),
    ("d", "Metastatic melanoma: a vaccine trial."),
]


def test_ranks_by_bm25_with_lucene_idf():
    bm25 = PlainBM25(DOCS)
    assert bm25.search("melanoma") == ["a", "d"] or bm25.search("melanoma") == ["d", "a"]
    assert bm25.search("interleukin melanoma")[0] == "a"  # both words
    assert bm25.search("diabetes") == ["c"]
    assert bm25.search("the of") == []  # stop words only
    n, df = 4, 1  # "vaccine": in d only, once
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    length = len(bm25.tokens(DOCS[3][1]))
    avg = float(bm25.lengths.mean())
    expected = idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * length / avg))
    assert bm25.scores("vaccine").tolist() == pytest.approx([0, 0, 0, expected])


def test_trec_ct_rankings_are_condensed_before_scoring():
    judged = {"x": 2, "y": 0}
    assert condensed(["u", "x", "v", "y"], judged) == ["x", "y"]
    es = COLLECTIONS["trec_ct_2021"]
    assert score(["u", "x"], judged, es)[0] == pytest.approx(1.0)  # "u" is unjudged: dropped
    assert score(["u", "x"], judged, COLLECTIONS["nfcorpus"])[0] < 1.0
