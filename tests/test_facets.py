"""Facet counts: whole result set, other facets' selections applied; OR within, AND across."""

from __future__ import annotations

import pytest

from search.engine import SearchEngine
from search.models import SearchRequest


@pytest.fixture(scope="module")
def engine(index_dir):
    return SearchEngine(index_dir)


def facets(page):
    return {f.name: {v.value: (v.count, v.selected) for v in f.values} for f in page.facets}


def test_counts_cover_the_whole_result_set(engine):
    page = engine.search(SearchRequest(q="melanoma", size=1))
    counts = facets(page)
    assert sum(c for c, _ in counts["type"].values()) == page.total == 19
    assert counts["type"] == {"article": (12, False), "trial": (4, False), "mesh": (3, False)}
    assert counts["phase"]["PHASE2"] == (3, False)


def test_a_selection_filters_results_but_not_its_own_facet(engine):
    page = engine.search(SearchRequest(q="melanoma", filters=(("type", ("trial",)),)))
    assert page.total == 4 and {h.type for h in page.hits} == {"trial"}
    counts = facets(page)
    assert counts["type"]["trial"] == (4, True)
    assert counts["type"]["article"] == (12, False), "other values keep their counts"


def test_or_within_a_facet_and_across_facets(engine):
    both = engine.search(SearchRequest(q="melanoma", filters=(("type", ("trial", "article")),)))
    assert both.total == 16
    narrowed = engine.search(
        SearchRequest(
            q="melanoma", filters=(("type", ("trial", "article")), ("phase", ("PHASE2",)))
        )
    )
    assert narrowed.total == 3  # articles have no phase: AND across facets
    counts = facets(narrowed)
    assert counts["type"]["trial"] == (3, True) and counts["phase"]["PHASE1"][1] is False


def test_labels_and_mesh_facets(engine):
    page = engine.search(SearchRequest(q="melanoma"))
    labels = {f.name: {v.value: v.label for v in f.values} for f in page.facets}
    assert labels["type"]["trial"] == "Clinical trials"
    assert labels["phase"]["PHASE2"] == "Phase 2"
    assert labels["age"]["older_adult"] == "Older adult (65+)"
    assert labels["mesh"]["D008545"] == "Melanoma"
    assert "D006801" not in labels["mesh"], "check tags (Humans) say nothing"
    assert labels["topic"]["C04"] == "Neoplasms"


def test_browse_with_filters_only(engine):
    page = engine.search(SearchRequest(q="", filters=(("status", ("COMPLETED",)),)))
    assert page.total > 5 and all(h.fields["status"] == "COMPLETED" for h in page.hits)
    assert engine.search(SearchRequest(q="", filters=(("mesh", ("D008545",)),))).total == 13


def test_selected_value_with_no_results_is_still_shown(engine):
    page = engine.search(SearchRequest(q="herniated", filters=(("phase", ("EARLY_PHASE1",)),)))
    assert page.total == 0
    assert facets(page)["phase"]["EARLY_PHASE1"] == (0, True)
