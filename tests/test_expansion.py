"""MeSH-aware expansion: phrases recognised by index look-up, synonyms scored below the words."""

from __future__ import annotations

import pytest

from search.engine import SearchEngine
from search.expansion import MeshExpander, rewrite_text
from search.related_mesh import ViewMeshSource


@pytest.fixture(scope="module")
def expander(index_dir):
    """Expansion as the engines look MeSH up: over the index view of each backend."""
    return MeshExpander(ViewMeshSource(SearchEngine(index_dir).reader().view()))


def test_lookup_is_word_order_and_plural_free(expander):
    assert expander.lookup("melanoma") == ["D008545"]
    assert expander.lookup("Infarction, Myocardial") == ["D009203"]
    assert expander.lookup("myocardial infarcts") == ["D009203"]
    assert expander.lookup("anemia") == ["D000740"]  # NLM spelling from the tree file
    assert expander.lookup("anaemia") == ["D000740"]  # British heading kept as an entry term
    assert expander.lookup("melanoma treatment") == []


def test_longest_phrase_wins_and_stop_words_do_not_start_one(expander):
    [m] = expander.find("is prostate cancer curable", "synonyms")
    assert m.original == "prostate cancer"
    assert [e.ui for e in m.expansions] == ["D011471"]
    assert "mesh_ui:D011471^0.5" in m.alternatives
    assert '"Prostatic Neoplasms"^0.4' in m.alternatives


def test_quoted_phrases_are_looked_up_whole(expander):
    [m] = expander.find('"myocardial infarct" aspirin', "synonyms")
    assert m.original == '"myocardial infarct"' and m.expansions[0].ui == "D009203"


def test_explode_adds_tree_prefixes_and_counts_narrower(expander):
    [m] = expander.find("neoplasms", "explode")
    assert any(a.startswith("mesh_tree:C04.*") for a in m.alternatives)
    assert m.expansions[0].narrower > 5


def test_none_finds_nothing_and_rewrite_keeps_boolean_structure(expander):
    assert expander.find("melanoma", "none") == []
    matches = expander.find("melanoma AND vaccine", "synonyms")
    text = rewrite_text("melanoma AND vaccine", matches)
    assert text.startswith("(melanoma OR mesh_ui:D008545^0.5") and text.endswith(" AND vaccine")


def test_a_description_s_concepts_come_from_the_medical_trees(expander):
    """search/concepts.py asks only for the trees of medical concepts: a heading outside them
    is no concept (descriptors without a tree number still are)."""
    everything = expander.find("melanoma", "synonyms")
    assert [e.ui for m in everything for e in m.expansions] == ["D008545"]  # C04...
    assert expander.find("melanoma", "synonyms", categories="C") == everything
    assert expander.find("melanoma", "synonyms", categories="Z") == []
