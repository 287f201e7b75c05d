"""Did-you-mean on the Xapian backend, by the Whoosh backend's rule: a query word of 4+ letters
that is not in the unstemmed SPELL vocabulary is replaced by the closest vocabulary word within
2 edits that starts with the same letter. The vocabulary and its frequencies are Xapian's own
spelling table (filled from SPELL at index time); Xapian picks among equally close words by
frequency, where Whoosh picks by its own order."""

from __future__ import annotations

import re

import xapian

from search import fields as f
from search.xapian.schema import term

MAX_DISTANCE = 2
_WORD = re.compile(r"[^\W\d_]{4,}")  # only alphabetic words of 4+ letters are corrected


def suggest(db: xapian.Database, text: str, words: tuple[str, ...]) -> str | None:
    """The query text with misspelled words replaced, or None if nothing needs correcting."""
    replacements: dict[str, str] = {}
    for word in words:
        if not _WORD.fullmatch(word):
            continue
        low = word.lower()
        if db.term_exists(term(f.SPELL, low)):
            continue
        found = db.get_spelling_suggestion(low, MAX_DISTANCE).decode("utf-8")
        if found and found != low and found[0] == low[0]:
            replacements[word] = found
    if not replacements:
        return None
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, replacements)) + r")\b")
    return pattern.sub(lambda m: replacements[m.group()], text)
