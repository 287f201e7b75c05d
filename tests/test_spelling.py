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


def _edited(word: str, rng) -> str:  # noqa: ANN001
    """`word` with one to three random letters inserted, deleted or replaced (after the first)."""
    letters = list(word)
    for _ in range(rng.randrange(1, 4)):
        at, op = rng.randrange(1, max(2, len(letters))), rng.randrange(3)
        if op == 0 and len(letters) > 2:
            del letters[at]
        else:
            letters[at : at + op - 1] = [rng.choice("abcdeilmnorstuy")]
    return "".join(letters)


def test_words_within_picks_the_words_within_picks_in_their_order(view, monkeypatch):
    """words_within walks one table of edits over a letter's words (the rows of the letters
    a word shares with the one before kept, the words under a start already too far left
    out): the words `within` picks, in the vocabulary's order, without a `within` per word."""
    import random

    import search.spelling

    rng = random.Random(11)
    vocabulary = view.terms_under(f.SPELL, "")
    words = [w for w in rng.sample(vocabulary, 120) if len(w) > 1]
    words += [_edited(w, rng) for w in words] + ["their", "than", "treatmnt", "cancer"]
    shuffled = rng.sample(vocabulary, len(vocabulary))  # (any order: only slower)
    expected = {
        (word, d, n): [w for w in vocab if within(word, w, d, 1)]
        for word in words
        for d in (1, 2)
        for n, vocab in enumerate((vocabulary, shuffled))
    }
    assert sum(map(len, expected.values())) > len(words)
    monkeypatch.setattr(search.spelling, "within", None)  # not called
    for (word, d, n), picked in expected.items():
        assert words_within((vocabulary, shuffled)[n], word, d, 1) == picked, (word, d)
