"""Pseudo-relevance feedback (search/feedback.py) on the fixture index's records."""

from __future__ import annotations

import pytest

from search import feedback
from search import querytree as qt
from search.engine import SearchEngine
from search.models import SearchRequest


@pytest.fixture(scope="module")
def engine(index_dir):
    return SearchEngine(index_dir)


def test_relevance_model_weighs_words_of_the_best_records(engine):
    hits = engine.search(SearchRequest(q="melanoma interleukin-2", size=3)).hits
    records = [engine.get(h.id) for h in hits]
    model = feedback.relevance_model(records, [h.score for h in hits])
    words = [w for w, _ in model]
    assert len(model) == feedback.FEEDBACK_TERMS
    assert "melanoma" in words[:5]
    assert all(p > 0 for _, p in model) and sum(p for _, p in model) <= 1.0
    assert not any(w.isdigit() or len(w) < 2 for w in words)


def test_the_clause_weights_sum_to_the_feedback_weight_per_query_word(engine):
    hits = engine.search(SearchRequest(q="melanoma vaccine", size=5)).hits
    records = [engine.get(h.id) for h in hits]
    clause = feedback.clause(records, [h.score for h in hits], query_words=2, weight=0.5)
    assert isinstance(clause, qt.Or)
    assert sum(t.boost for t in clause.children) == pytest.approx(1.0)
    assert feedback.clause(records, [h.score for h in hits], 2, weight=0.0) is None
    assert feedback.clause([], [], 2) is None


def test_feedback_reranks_and_never_changes_the_match_set(engine, monkeypatch):
    req = SearchRequest(q="melanoma vaccine", size=100)
    monkeypatch.setattr(feedback, "SHAPES", frozenset())
    without = engine.search(req)
    monkeypatch.setattr(feedback, "SHAPES", frozenset({"keywords"}))
    with_feedback = engine.search(req)
    assert (with_feedback.total, with_feedback.more) == (without.total, without.more)
    assert {h.id for h in with_feedback.hits} == {h.id for h in without.hits}
    assert [h.score for h in with_feedback.hits] != [h.score for h in without.hits]


def test_the_words_counted_are_the_analyzers_query_terms(engine):
    """words_of (one cached look-up per word as written) gives exactly the analyzer's
    query-mode terms of each section, stop words, numbers and one-letter words left out, on
    the describing sections of the records of several searches (compounds, digits, "+")."""
    from search.analysis import analyzer, weighted_text
    from search.related_similar import sections

    plain = analyzer()
    texts = []
    for q in ("melanoma interleukin-2", "vaccine", "cancer", "COVID-19", "heart"):
        for hit in engine.search(SearchRequest(q=q, size=20)).hits:
            texts += [text for _, text in sections(engine.get(hit.id)) if text]
    texts.append(weighted_text([(2.0, "T-cells in IL-2 therapy"), (1.0, texts[0])]))
    assert len(texts) > 50
    for text in texts * 2:  # the second time from the cache
        expected = [
            t
            for t in plain.terms(text, mode="query")
            if len(t) > 1 and not t.replace(".", "").isdigit()
        ]
        assert feedback.words_of(text) == expected
    assert any("-" in w for text in texts for w in feedback.words_of(text))
