"""The query model: what kind of text a query is, and what a long one says.

Three shapes, by length and form: `keywords` (1-4 words), `question` (a question or a claim,
up to DESCRIPTION_WORDS words in at most two sentences) and `description` (longer free text:
a pasted patient note, an abstract). A description is searched by its medical concepts (MeSH
headings and entry terms found in it, search/expansion.py) weighted over its filler words,
with what it negates ("no history of", "denies", "negative for") left out; a patient's age
and sex are read from it (`demographics`) so trials whose eligibility admits them rank above
those that exclude them (search/eligibility.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS, QUESTION, DESCRIPTION = "keywords", "question", "description"
SHAPES = (KEYWORDS, QUESTION, DESCRIPTION)
KEYWORD_WORDS = 4  # up to this many words: keywords
DESCRIPTION_WORDS = 40  # more words than this (or more than two sentences): a description
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?](?:\s+|$)(?=[A-Z\[(]|$)")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def sentences(text: str) -> int:
    """Sentences in `text` (a full stop, ! or ? followed by a capital, or the end)."""
    return max(1, len(_SENTENCE_END.findall(text.strip())))


def shape(text: str) -> str:
    """keywords, question or description (see the module's docstring)."""
    n = len(words(text))
    if n <= KEYWORD_WORDS:
        return KEYWORDS
    if n > DESCRIPTION_WORDS or sentences(text) > 2:
        return DESCRIPTION
    return QUESTION


# -- negation -------------------------------------------------------------------------------
# A NegEx-style reading: a trigger opens a negated scope that runs to the end of its clause
# (punctuation, "but", "however", "although") or at most NEGATION_SCOPE words.
NEGATION_SCOPE = 6
_TRIGGER = re.compile(
    r"\b(?:no(?:\s+(?:known|prior|previous|past|personal|family))?(?:\s+history\s+of)?"
    r"|denie[sd]|denying|negative\s+for|without(?:\s+any)?|absence\s+of|free\s+of"
    r"|ruled\s+out|rules\s+out|never\s+had|not\s+have|does\s+not\s+have|did\s+not\s+have"
    r"|unremarkable\s+for|resolved)\b",
    re.I,
)
_SCOPE_END = re.compile(r"[.;:,()\[\]]|\b(?:but|however|although|though|except|and\s+has)\b", re.I)


def negated_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each negated stretch of `text` (the trigger included)."""
    spans: list[tuple[int, int]] = []
    for m in _TRIGGER.finditer(text):
        if spans and m.start() < spans[-1][1]:
            continue
        rest = text[m.end() :]
        stop = _SCOPE_END.search(rest)
        scope = rest[: stop.start()] if stop else rest
        taken = list(_WORD.finditer(scope))[:NEGATION_SCOPE]
        end = m.end() + (taken[-1].end() if taken else 0)
        spans.append((m.start(), end))
    return spans


def without_negated(text: str) -> str:
    """`text` with its negated stretches blanked out (offsets keep their places)."""
    chars = list(text)
    for start, end in negated_spans(text):
        chars[start:end] = " " * (end - start)
    return "".join(chars)


# -- demographics ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Demographics:
    age: float | None = None  # years (a 6-month-old is 0.5)
    sex: str = ""  # "male" | "female" | "" (not stated)

    def __bool__(self) -> bool:
        return self.age is not None or bool(self.sex)


_AGE = re.compile(
    r"\b(?P<n>\d{1,3}(?:\.\d)?)[\s-]*(?P<unit>years?|yrs?|y/?o|y\.o\.|months?|mo|weeks?|wk|days?)"
    r"(?:[\s-]*old)?\b"
    r"|\b(?:aged?|age\s+of)\s+(?P<n2>\d{1,3})\b"
    r"|\b(?P<n3>\d{1,3})\s*(?P<sx>[MF])\b",
    re.I,
)
_UNITS = {"m": 1 / 12, "w": 1 / 52, "d": 1 / 365}
_MALE = re.compile(r"\b(?:man|male|boy|gentleman|he|his|him|mr|husband|father|son)\b", re.I)
_FEMALE = re.compile(
    r"\b(?:woman|female|girl|lady|she|her|hers|mrs|ms|wife|mother|daughter|pregnant)\b", re.I
)
_SEX_LETTER = re.compile(r"\s*,?\s*([MF])\b")
_NEWBORN = re.compile(r"\b(?:newborn|neonate|infant)\b", re.I)


def demographics(text: str) -> Demographics:
    """The age and sex a patient description states (the first age given; the sex the words
    point to most, none when they tie)."""
    age: float | None = None
    sex = ""
    m = _AGE.search(text)
    if m:
        if m.group("n"):
            unit = m.group("unit").lower()
            factor = 1.0 if unit[0] == "y" else _UNITS.get(unit[0], 1.0)
            age = round(float(m.group("n")) * factor, 2)
            letter = _SEX_LETTER.match(text, m.end())  # "75 yo M"
            if letter:
                sex = "male" if letter.group(1) == "M" else "female"
        elif m.group("n2"):
            age = float(m.group("n2"))
        else:
            age = float(m.group("n3"))
            sex = "male" if m.group("sx").upper() == "M" else "female"
    elif _NEWBORN.search(text):
        age = 0.0
    if not sex:
        male, female = len(_MALE.findall(text)), len(_FEMALE.findall(text))
        sex = "male" if male > female else "female" if female > male else ""
    if age is not None and age > 120:
        age = None
    return Demographics(age, sex)
