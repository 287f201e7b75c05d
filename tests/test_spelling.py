"""Did-you-mean from the unstemmed vocabulary (works although searched fields are stemmed)."""

from __future__ import annotations

import pytest

from search import fields as f
from search.engine import SearchEngine
from search.spelling import distance, suggest, within, words_within


@pytest.fixture(scope="module")
def view(index_dir):
    return SearchEngine(index_dir).reader().view()


def test_suggestions(view):
    assert suggest(view, "infarktion", ("infarktion",)) == "infarction"
    assert suggest(view, "Melanomma IL-2", ("Melanomma", "IL-2")) == "melanoma IL-2"
    assert suggest(view, "melanoma", ("melanoma",)) is None
    assert suggest(view, "5-FU xyzzyqq", ("5-FU", "xyzzyqq")) is None


def test_the_nearest_word_wins_over_a_more_frequent_one(view):
    # "treating" occurs more often in the vocabulary but is two edits away; "treatment" one
    assert view.frequency(f.SPELL, "treating") > view.frequency(f.SPELL, "treatment")
    assert suggest(view, "treatmnt", ("treatmnt",)) == "treatment"
    assert suggest(view, "melanoma treatmnt", ("melanoma", "treatmnt")) == "melanoma treatment"


def test_distance_counts_levenshtein_edits():
    assert [distance("treatmnt", w) for w in ("treatment", "treating", "treatmnt")] == [1, 2, 0]
    assert distance("", "abc") == distance("abc", "") == 3


def test_within_counts_levenshtein_edits_after_a_shared_prefix():
    assert within("infarktion", "infarction", 2, 1)  # one replacement
    assert within("melanomma", "melanoma", 2, 1)  # one deletion
    assert within("lymphoma", "lymphomas", 1, 1)  # one insertion
    assert within("cancer", "canrec", 2, 1) and not within("cancer", "canrec", 1, 1)
    assert not within("cancer", "dancer", 2, 1)  # the first letter differs
    assert not within("asthma", "as", 2, 1)  # four letters apart


@pytest.mark.parametrize("word", ["infarktion", "melanomma", "lymfoma", "astma", "canser"])
def test_within_is_the_rule_of_the_whoosh_vocabulary_automaton(view, word):
    vocabulary = view.terms_under(f.SPELL, word[0])
    assert set(words_within(vocabulary, word, 2, 1)) == set(view.words_within(f.SPELL, word, 2, 1))
