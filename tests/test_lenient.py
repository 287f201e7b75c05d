"""search/lenient.py: stray characters of pasted text are read as spaces, not syntax."""

from __future__ import annotations

import pytest

from search.errors import InvalidRequest
from search.lenient import as_words, stray_stars


@pytest.mark.parametrize(
    "text, out",
    [
        ("immuno*", "immuno*"),
        ("title:immuno* therapy", "title:immuno* therapy"),
        ("(melan*)", "(melan*)"),
        ("[**2148-10-1**] seen", "[ 2148-10-1 ] seen"),
        ("* s/p hernia repair * s/p tonsillectomy", "s/p hernia repair s/p tonsillectomy"),
        ("mel*oma", "mel oma"),
        ("WBC 12.3* Hgb 9* K 2* seen today", "WBC 12.3* Hgb 9 K 2 seen today"),
    ],
)
def test_stray_stars(text, out):
    assert stray_stars(text) == out


def test_a_short_prefix_in_a_short_query_is_refused():
    with pytest.raises(InvalidRequest, match="at least 3 letters"):
        stray_stars("ca* melanoma")


def test_as_words_leaves_no_syntax():
    assert as_words('title:"a b" (c OR d) e^2 [x TO y] f~') == "title a b c or d e 2 x to y f"
