"""A description searched by its concepts (search/concepts.py) on the fixture index."""

from __future__ import annotations

import pytest

from search import concepts
from search import querytree as qt
from search.engine import SearchEngine
from search.models import SearchRequest

NOTE = (
    "A 62-year-old woman with metastatic melanoma of the skin was seen in clinic after two "
    "cycles of interleukin-2. She denies anaemia, but reports fatigue and weight loss. No "
    "history of prostate cancer in the family. Her examination today showed a new nodule on "
    "the left arm and she asked about clinical trials."
)


@pytest.fixture(scope="module")
def engine(index_dir):
    return SearchEngine(index_dir)


def test_a_description_is_searched_by_its_concepts(engine):
    page = engine.search(SearchRequest(q=NOTE))
    r = page.reading
    assert r.shape == "description" and r.age is None  # no demographics outside patient mode
    assert "Melanoma" in r.concepts
    assert "Anemia" not in r.concepts  # negated: "denies anaemia"
    assert r.negated == ("denies anaemia", "No history of prostate cancer in the family")
    assert "anaemia" not in page.parsed and "prostat" not in page.parsed
    assert "mesh_ui:D008545" in page.parsed  # the concept's descriptor
    assert page.hits and not page.partial  # nothing is required: any concept matches
    assert page.suggestion is None  # no "did you mean" a whole note


def test_concepts_weigh_more_than_filler(engine):
    page = engine.search(SearchRequest(q=NOTE))
    assert "all:melanoma " in page.parsed  # a concept: weight CONCEPT_WEIGHT (1.0)
    assert f"all:clinic^{concepts.FILLER_WEIGHT}" in page.parsed


def test_a_long_boolean_query_keeps_its_syntax(engine):
    q = " OR ".join(["melanoma", "nevus"] * 22)  # over 40 words, with operators
    page = engine.search(SearchRequest(q=q))
    assert page.reading.shape == "description" and not page.reading.concepts
    # read as the syntax it is, not weighted as a description
    assert f"^{concepts.FILLER_WEIGHT}" not in page.parsed


def test_scaled_multiplies_every_leaf():
    tree = qt.Or((qt.Term("all", "a", 2.0), qt.DisMax((qt.Phrase("all", ("b", "c")),))))
    out = concepts.scaled(tree, 0.5)
    assert [leaf.boost for leaf in qt.leaves(out)] == [1.0, 0.5]
