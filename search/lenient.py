"""Reading pasted text leniently (issue 17): what looks like query syntax and is none is
words. Used by search/syntax.py before and after the grammar (search/grammar.py NotSyntax)."""

from __future__ import annotations

import re

from search.errors import InvalidRequest

MIN_PREFIX = 3
SHORT_QUERY_WORDS = 4  # a query of up to this many words is read as typed syntax
# A prefix: a word (or a field's value) ending in one *, before a space, ")" or "^"; any other
# * is a stray character of pasted text ("[**2148-10-1**]", "p < 0.05*") and reads as a space.
_PREFIX = re.compile(r"(?<![^\s(:])([\w.+/-]+)\*(?=[\s)^]|$)")
_NOT_WORDS = re.compile(r'[\[\]{}()":*^~]')
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def stray_stars(text: str) -> str:
    """Every * that ends no prefix becomes a space. A prefix of fewer than MIN_PREFIX letters
    would stand for too much of the vocabulary: refused in a short query (the user typed
    syntax), a plain word in a longer one (a lab value flagged "9*" in a pasted note)."""
    if "*" not in text:
        return text
    keep = set()
    long_text = len(text.split()) > SHORT_QUERY_WORDS
    for m in _PREFIX.finditer(text):
        if len(m.group(1)) < MIN_PREFIX:
            if long_text:
                continue
            raise InvalidRequest(
                f"A prefix search needs at least {MIN_PREFIX} letters before the *."
            )
        keep.add(m.end() - 1)
    chars = [c if c != "*" or i in keep else " " for i, c in enumerate(text)]
    return " ".join("".join(chars).split())


def as_words(text: str) -> str:
    """The text with no syntax left: brackets, quotes, colons, *, ^ and ~ are spaces and
    operators (and a range's TO) lower-case words."""
    text = _NOT_WORDS.sub(" ", text)
    return " ".join(w.lower() if w in _OPERATORS or w == "TO" else w for w in text.split())
