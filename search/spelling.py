"""Did-you-mean: unknown query words replaced by the closest word of the index vocabulary.

The vocabulary is the unstemmed `spell` field (titles, conditions, MeSH headings and entry
terms), so suggestions work even though the searched fields are stemmed: "infarktion" finds
"infarction", which a stemmed field only holds as "infarct".

A word is corrected when it has 4+ letters and the vocabulary lacks it; its correction is the
vocabulary word within MAX_DISTANCE edits that shares its first letter: the nearest one (fewest
edits, as Norvig's corrector prefers), of those the one occurring most often in the index (ties:
the word last in alphabetical order, as Whoosh's corrector chose). "treatmnt" is
"treatment" (one edit), not the more frequent "treating" (two).

Whether a suggestion is searched at once instead of the words as typed is search/autocorrect.py's
rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from search import fields as f
from search.view import IndexView

MAX_DISTANCE = 2
PREFIX = 1  # letters a correction shares with the word (misspellings rarely start wrong)
_WORD = re.compile(r"[^\W\d_]{4,}")  # only alphabetic words of 4+ letters are corrected


def suggest(view: IndexView, text: str, words: tuple[str, ...]) -> str | None:
    """The query text with misspelled words replaced, or None if nothing needs correcting."""
    replacements: dict[str, str] = {}
    for word in words:
        if not _WORD.fullmatch(word):
            continue
        low = word.lower()
        if view.frequency(f.SPELL, low):
            continue
        found = correction(view, low)
        if found:
            replacements[word] = found
    if not replacements:
        return None
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, replacements)) + r")\b")
    return pattern.sub(lambda m: replacements[m.group()], text)


def correction(view: IndexView, word: str) -> str | None:
    """The vocabulary word that best corrects `word` (see the module's rule), None if none."""
    found = view.words_within(f.SPELL, word, MAX_DISTANCE, PREFIX)
    ranked = ((-distance(word, w), view.frequency(f.SPELL, w) or 1, w) for w in found if w != word)
    best = max(ranked, default=None)
    return best[2] if best else None


def distance(a: str, b: str) -> int:
    """Levenshtein edits (insert, delete, replace a letter) between two words."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def within(word: str, candidate: str, distance: int, prefix: int = 0) -> bool:
    """Whether `candidate` starts with the first `prefix` letters of `word` and is at most
    `distance` Levenshtein edits (insert, delete, replace a letter) from it: the rule of
    IndexView.words_within, for backends that filter their vocabulary themselves."""
    if candidate[:prefix] != word[:prefix] or abs(len(candidate) - len(word)) > distance:
        return False
    a, b = word[prefix:], candidate[prefix:]
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
        if min(row) > distance:
            return False
    return row[-1] <= distance


def words_within(vocabulary: Iterable[str], word: str, distance: int, prefix: int) -> list[str]:
    """The words of `vocabulary` (e.g. a field's terms starting with `word[:prefix]`) that
    are `within` the distance, in their order. One table of edits over the candidates'
    letters (the words are `within`'s, their rows those of `within` with the two words'
    roles swapped: the same count), kept for the letters a candidate shares with the one
    before (a sorted vocabulary shares most), and the candidates under a start already
    farther than `distance` from every way `word` goes on left out at once (`within` per
    word took 20 ms for a letter's 15,000 words of the full data's vocabulary)."""
    head, a = word[:prefix], word[prefix:]
    size, low, high = len(a), len(word) - distance, len(word) + distance
    rows = [list(range(size + 1))]  # rows[j]: the edits from a[:i] to `done`[:j], each i
    done = ""  # the candidate's letters (after the prefix) whose rows are kept
    dead = None  # letters no candidate starting with them is within the distance after
    out = []
    for candidate in vocabulary:
        if not low <= len(candidate) <= high or candidate[:prefix] != head:
            continue
        b = candidate[prefix:]
        if dead is not None and b.startswith(dead):
            continue
        shared, most = 0, min(len(b), len(done))
        while shared < most and b[shared] == done[shared]:
            shared += 1
        del rows[shared + 1 :]
        row = rows[shared]
        for j in range(shared, len(b)):
            letter, above = b[j], row
            row = [j + 1]
            for i in range(1, size + 1):
                row.append(min(above[i] + 1, row[i - 1] + 1, above[i - 1] + (a[i - 1] != letter)))
            rows.append(row)
            if min(row) > distance:  # (a row's minimum never falls in the rows below it)
                dead = b[: j + 1]
                done = dead
                break
        else:
            done = b
            if row[-1] <= distance:
                out.append(candidate)
    return out
