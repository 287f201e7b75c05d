"""The "Search details" of a results page in words a user reads: which records were searched,
for which concepts, how many of them a record needs, what MeSH added, what was ignored.

"melanoma interleukin-2" reads "Trials, articles and MeSH descriptors matching melanoma (MeSH:
Melanoma) AND interleukin-2.", then "A record must match both concepts." The engine's own
syntax (SearchPage.parsed) stays for those who want it. The concepts are found as the parser
(search/syntax.py) finds them: each MeSH phrase the expansion recognised is one concept, each
"quoted phrase" one, every other word one; stop words are dropped and filler words
(syntax.FILLER_WORDS) only add to the score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search import nltkdata
from search.models import Expansion, SearchPage
from search.syntax import (
    ALL_CONCEPTS_UP_TO,
    CONCEPT_SHARE,
    FILLER_WORDS,
    clean,
    concepts_needed,
    is_plain,
    split_filters,
)

TYPE_PLURALS = {"trial": "trials", "article": "articles", "mesh": "MeSH descriptors"}
NUMBERS = ("no", "one", "both", "three", "four")
_TOKEN = re.compile(r'"[^"]*"|[^\s"]+')


@dataclass(frozen=True, slots=True)
class Concept:
    text: str  # as typed: a word, a "quoted phrase" or a MeSH phrase
    headings: tuple[str, ...] = ()  # MeSH descriptors it also matches (their records, synonyms)


@dataclass(frozen=True, slots=True)
class Explanation:
    sentences: tuple[str, ...]
    concepts: tuple[Concept, ...] = ()
    needed: int = 0  # concepts a record must have (0: the query is not plain words)


def joined(items: list[str], last: str = "and") -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def searched_types(page: SearchPage) -> str:
    """ "Trials, articles and MeSH descriptors", or those the type filter keeps."""
    kinds = page.request.selected("type") or tuple(TYPE_PLURALS)
    text = joined([TYPE_PLURALS.get(k, k) for k in kinds])
    return text[0].upper() + text[1:]


def concepts_of(
    text: str, expansions: tuple[Expansion, ...]
) -> tuple[list[Concept], list[str], list[str]]:
    """(concepts, optional filler words, ignored stop words) of plain query text, in order."""
    stoplist = nltkdata.stopwords()
    by_phrase: dict[str, list[str]] = {}
    for e in expansions:
        by_phrase.setdefault(e.phrase.lower(), []).append(e.heading)
    spans: list[tuple[int, int, Concept]] = []
    low = text.lower()
    for phrase, headings in by_phrase.items():
        at = low.find(phrase)
        if at >= 0:
            start, end = at, at + len(phrase)
            if text[start - 1 : start] == '"' and text[end : end + 1] == '"':
                start, end = start - 1, end + 1
            spans.append((start, end, Concept(text[start:end], tuple(dict.fromkeys(headings)))))
    concepts: list[tuple[int, Concept]] = [(s, c) for s, _, c in spans]
    optional: list[str] = []
    ignored: list[str] = []
    for m in _TOKEN.finditer(text):
        if any(s <= m.start() < e for s, e, _ in spans):
            continue
        token = m.group()
        if token.startswith('"'):
            if token.strip('"').strip():
                concepts.append((m.start(), Concept(token)))
        elif token.lower() in stoplist:
            ignored.append(token)
        elif token.lower() in FILLER_WORDS:
            optional.append(token)
        else:
            concepts.append((m.start(), Concept(token)))
    return [c for _, c in sorted(concepts, key=lambda p: p[0])], optional, ignored


def _concept_text(c: Concept) -> str:
    return c.text + (f" (MeSH: {', '.join(c.headings)})" if c.headings else "")


def _required(n: int, needed: int) -> str:
    if n < 2:
        return ""
    if needed == n:
        count = NUMBERS[n] if n < len(NUMBERS) else str(n)
        return f"A record must match {'all ' if n > 2 else ''}{count} concepts."
    return (
        f"A record must match at least {needed} of these {n} concepts (a query of more than "
        f"{ALL_CONCEPTS_UP_TO} concepts needs {CONCEPT_SHARE:.0%} of them)."
    )


def explain(page: SearchPage) -> Explanation:
    """The page's search in sentences (see the module's docstring)."""
    req = page.request
    types = searched_types(page)
    out: list[str] = []
    if page.corrected:
        out.append(f"Searched for {page.corrected} instead of {req.q}: the words as typed "
                   "found (almost) nothing, and the correction is confident.")  # fmt: skip
    text = clean(page.corrected or req.q) if (page.corrected or req.q).strip() else ""
    if not text:
        out.append(f"{types}: every one the filters allow." if req.filters else f"{types}: all.")
        return Explanation(tuple(out))
    filters, main = split_filters(text)
    if not main or not is_plain(main):
        out.append(f"{types} matching your query as written: {text}")
        out.append("AND, OR, NOT, parentheses and field: clauses apply as you typed them.")
        return Explanation(tuple(out))
    concepts, optional, ignored = concepts_of(main, page.expansions)
    needed = concepts_needed(len(concepts))
    link = " AND " if needed == len(concepts) else ", "
    listed = link.join(_concept_text(c) for c in concepts) or main
    out.append(
        f"{types} matching {listed}" + (f", with {' and '.join(filters)}." if filters else ".")
    )
    if required := _required(len(concepts), needed):
        out.append(required)
    if page.partial:
        out.append("No record matches enough of the concepts: the records listed match some "
                   "of the words, those matching most first.")  # fmt: skip
    elif page.more:
        out.append(f"After those, {page.more:,} record{'' if page.more == 1 else 's'} matching "
                   "only some of the words, ranked lower.")  # fmt: skip
    if optional:
        out.append(f"Only adding to the score, not required: {', '.join(optional)}.")
    if ignored:
        out.append(f"Ignored as too common: {', '.join(ignored)}.")
    if req.expand == "none":
        out.append("MeSH expansion is off: only the words as typed are searched.")
    elif page.expansions:
        wider = ", and those indexed with a narrower one" if req.expand == "explode" else ""
        out.append("A MeSH term also matches its synonyms and the records indexed with its "
                   f"descriptor{wider}.")  # fmt: skip
    return Explanation(tuple(out), tuple(concepts), needed)
