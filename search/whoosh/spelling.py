"""Did-you-mean: unknown query words replaced by the closest word of the index vocabulary.

The vocabulary is the unstemmed `spell` field (titles, conditions, MeSH headings and entry
terms), so suggestions work even though the searched fields are stemmed: "infarktion" finds
"infarction", which a stemmed field only holds as "infarct".
"""

from __future__ import annotations

import re

from whoosh.reading import IndexReader

from search import fields as f

MAX_DISTANCE = 2
_WORD = re.compile(r"[^\W\d_]{4,}")  # only alphabetic words of 4+ letters are corrected


def suggest(reader: IndexReader, text: str, words: tuple[str, ...]) -> str | None:
    """The query text with misspelled words replaced, or None if nothing needs correcting."""
    corrector = None
    replacements: dict[str, str] = {}
    for word in words:
        if not _WORD.fullmatch(word):
            continue
        low = word.lower()
        if reader.frequency(f.SPELL, low):
            continue
        if corrector is None:
            corrector = reader.corrector(f.SPELL)
        found = corrector.suggest(low, limit=1, maxdist=MAX_DISTANCE, prefix=1)
        if found and found[0] != low:
            replacements[word] = found[0]
    if not replacements:
        return None
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, replacements)) + r")\b")
    return pattern.sub(lambda m: replacements[m.group()], text)
