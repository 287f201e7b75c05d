"""Searching a confident spelling correction at once: "Showing results for melanoma; search
instead for melenoma".

A did-you-mean suggestion (search/spelling.py) is searched instead of the words as typed when
the correction is *confident*. This module is the one place that says what that means; all
of these must hold:

1. the request allows it: `spell=auto` (the default); `spell=off` searches the words as typed;
2. the words as typed find (almost) nothing: at most FEW records match all of their concepts
   (a partial listing, records with only some of the words, counts as none);
3. each corrected word is near what was typed: at most one edit (a letter inserted, deleted or
   replaced) for every LETTERS_PER_EDIT letters of the typed word, so one edit for words of 4
   to 7 letters, two from 8 letters on ("cencr" is not confidently "cancer": two edits); and
   one edit at most when the words as typed do find a record (then they are words of the
   records: "specified" is not corrected to "specific");
4. the correction finds far more: records that match all of its concepts (not a partial
   listing), with the same filters, at least MIN_RESULTS of them and at least RATIO times as
   many as the words as typed. So the corrected words are frequent in the records searched.

Otherwise the words as typed are searched and the suggestion stays a "Did you mean" link.
The cost is bounded: at most one more search, and only for a weak query with a suggestion.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from difflib import SequenceMatcher

from search.errors import InvalidRequest
from search.models import SearchPage, SearchRequest
from search.spelling import distance
from search.syntax import clean

FEW = 3
LETTERS_PER_EDIT = 4
MIN_RESULTS = 3
RATIO = 10
_TOKEN = re.compile(r"\w+")


def full_matches(page: SearchPage) -> int:
    """Records matching all the concepts of a page's query (none when it lists partial ones)."""
    return 0 if page.partial else page.total


def replaced_words(typed: str, suggestion: str) -> list[tuple[str, str]] | None:
    """(typed word, its correction) for each word the suggestion changed, lower-cased; None
    when the two texts differ otherwise than word for word."""
    a = [t.lower() for t in _TOKEN.findall(typed)]
    b = [t.lower() for t in _TOKEN.findall(suggestion)]
    pairs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op != "replace" or i2 - i1 != j2 - j1:
            return None
        pairs += zip(a[i1:i2], b[j1:j2], strict=True)
    return pairs


def near(typed: str, suggestion: str, found: int = 0) -> bool:
    """Rule 3: every corrected word within one edit per LETTERS_PER_EDIT typed letters, and
    within one edit when the words as typed find `found` > 0 records."""
    pairs = replaced_words(typed, suggestion)
    most = (lambda word: len(word) // LETTERS_PER_EDIT) if not found else (lambda word: 1)
    return bool(pairs) and all(distance(word, fixed) <= most(word) for word, fixed in pairs)


def weak(page: SearchPage) -> bool:
    """Rule 2: the words as typed match all their concepts in at most FEW records."""
    return full_matches(page) <= FEW


def stronger(corrected: SearchPage, typed: SearchPage) -> bool:
    """Rule 4: the correction matches far more records, all of its concepts each."""
    found = full_matches(corrected)
    return found >= max(MIN_RESULTS, RATIO * full_matches(typed))


def worth_trying(page: SearchPage) -> bool:
    """Rules 1-3, which need no second search: whether to search the suggestion at all."""
    return (
        page.request.spell == "auto"
        and page.suggestion is not None
        and weak(page)
        and near(clean(page.request.q), page.suggestion, full_matches(page))
    )


def confident(typed: SearchPage, corrected: SearchPage) -> bool:
    """Rules 1-4 (the module's docstring): search `corrected` instead of `typed`."""
    return worth_trying(typed) and stronger(corrected, typed)


def search_spelled(search: Callable[[SearchRequest], SearchPage], req: SearchRequest) -> SearchPage:
    """`search(req)`, or the search of its suggestion when the correction is confident: then
    the page keeps the request as typed (its links keep the user's words) and `corrected`
    holds the text searched."""
    page = search(req)
    if not worth_trying(page):
        return page
    assert page.suggestion is not None
    try:
        better = search(replace(req, q=page.suggestion))
    except InvalidRequest:  # e.g. the correction is only stop words
        return page
    if not confident(page, better):
        return page
    return replace(better, request=req, corrected=page.suggestion)
