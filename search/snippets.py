"""Snippets: the best-matching sentences of the best-matching field, HTML-escaped, with only
<mark> added around the words that matched. Sentences come from NLTK's Punkt model
(search/sentences.py: its spans, with its decisions remembered)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from html import escape
from itertools import chain, filterfalse, repeat
from operator import itemgetter
from typing import Any

from search import fields as f
from search.analysis import JOINERS, WORD, analyzer
from search.sentences import splitter

MAX_CHARS = 320
_ANALYZER = analyzer()
_TERMS_OF: dict[str, tuple[str, ...]] = {}  # word as written -> its analysed terms
_WORDS_OF: dict[str, list[str]] = {}  # a term -> the words of _TERMS_OF that make it
_TERMS_CACHE_LIMIT = 300_000


def _texts(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) candidates of a record, in the order a reader would want them."""
    kind = record.get("type")
    if kind == f.TRIAL:
        return [
            ("", record.get("brief_summary", "")),
            ("", record.get("detailed_description", "")),
            ("Conditions: ", "; ".join(record.get("conditions", ()))),
            ("Interventions: ", "; ".join(i["name"] for i in record.get("interventions", ()))),
            ("Outcome: ", "; ".join(o["measure"] for o in record.get("primary_outcomes", ()))),
            ("Eligibility: ", record.get("eligibility_criteria", "")),
        ]
    if kind == f.ARTICLE:
        sections = [
            (f"{s['label'].capitalize()}: " if s.get("label") else "", s["text"])
            for s in record.get("abstract", ())
        ]
        return sections + [("Keywords: ", "; ".join(record.get("keywords", ())))]
    return [
        ("", record.get("scope_note", "")),
        ("Entry terms: ", "; ".join(record.get("entry_terms", ()))),
    ]


def _terms_of(words: set[str]) -> dict[str, tuple[str, ...]]:
    """The terms the analyzer makes of each word as written (it works word by word): the
    module's cache, with the words it lacks analysed (and cached while it has room)."""
    missing = set(filterfalse(_TERMS_OF.__contains__, words))
    if not missing:
        return _TERMS_OF
    found = {w: _analysed(w.lower()) for w in missing}
    if len(_TERMS_OF) + len(found) <= _TERMS_CACHE_LIMIT:
        for word, terms in found.items():  # the reverse first: a word of _TERMS_OF is in it
            for t in terms:
                _WORDS_OF.setdefault(t, []).append(word)
        _TERMS_OF.update(found)
        return _TERMS_OF
    return {**found, **{w: _TERMS_OF[w] for w in words - missing}}


def _analysed(word: str) -> tuple[str, ...]:
    """The analyzer's terms of one lower-case WORD match, stop words kept: a plain word's is
    its stem, a word of letters and digits ("2019", "covid19") is its own, a compound's are
    the analyzer's (the whole, its parts, their joined form)."""
    if word.isalpha():
        return (_ANALYZER.stem_word(word),)
    if word.isalnum():
        return (word,)
    return tuple(dict.fromkeys(t.text for t in _ANALYZER(word, removestops=False)))


def _could_match(words: set[str], terms: set[str]) -> set[str]:
    """The words that may make one of `terms` (those analysed before, and the others that
    could): a word of letters and digits only when it is a term itself; a plain word only when
    it starts with a term less the term's last two letters: its only term is its Snowball stem,
    and Snowball only rewrites a word's ending, so the stem is the word's beginning but for at
    most its last two letters ("ability" -> "abl", "dying" -> "die"; every one of the 263,795
    alphabetic words of ../shared/data's records, and of NLTK's special words:
    tests/test_snippets.py on the fixtures'); a compound only when it, one of its parts or
    their joined form starts so. Spares analysing words that cannot match (a new word's stem
    costs ~15-80 us)."""
    starts = tuple({t[:-2] for t in terms})
    known = _TERMS_OF
    out = set()
    for w in words:
        if w in known:
            out.add(w)
            continue
        lw = w.lower()
        if lw.isalpha():
            found = lw.startswith(starts)
        elif lw.isalnum():
            found = lw in terms
        else:
            parts = [p for p in JOINERS.split(lw.rstrip("+")) if p]
            found = any(p.startswith(starts) for p in (lw, "".join(parts), *parts))
        if found:
            out.add(w)
    return out


def _makers(terms: set[str]) -> set[str]:
    """The words analysed before that make one of `terms`."""
    return set().union(*map(_WORDS_OF.get, terms, repeat(())))


def _matching_words(
    text: str, terms: set[str], makers: set[str] | None = None
) -> tuple[set[str], set[str]]:
    """The distinct words of `text` (as written) that make a query term, and those terms: set
    operations over the distinct words, no Python step per occurrence. The words analysed
    before are looked up in `makers` (_makers(terms), updated with the words this text adds);
    only the others are tested (_could_match) and those that may match analysed."""
    every = set(WORD.findall(text))
    new = _could_match(every.difference(_TERMS_OF), terms)
    known = _terms_of(new)
    words = {w for w in new if not terms.isdisjoint(known[w])}
    if makers is None:
        makers = _makers(terms)
    makers.update(words)  # analysed now: known to the next text
    words.update(every.intersection(makers))
    found = terms.intersection(chain.from_iterable(map(_terms_got(known), words)))
    return words, found


def _terms_got(known: dict[str, tuple[str, ...]]) -> Callable[[str], tuple[str, ...]]:
    """A word's terms from `known` (_terms_of's answer), else the module's cache."""
    return lambda w: known.get(w) or _TERMS_OF.get(w) or _analysed(w.lower())


def _matches(text: str, terms: set[str], words: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) of every analysed token of `text` that is a query term (`words`:
    the words that make one), in text order. Each word's occurrences are found by str.find
    and kept where WORD's tokens of the text have one (_token_at), not by a Python step per
    token of the text."""
    spans = []
    for word in words:
        found = [t for t in _TERMS_OF.get(word) or _terms_of({word})[word] if t in terms]
        end = len(word)
        at = text.find(word)
        while at >= 0:
            if _token_at(text, at, end):
                spans += [(at, at + end, t) for t in found]
            at = text.find(word, at + 1)
    spans.sort(key=itemgetter(0))  # stable: a token's terms stay in the analyser's order
    return spans


def _token_at(text: str, at: int, length: int) -> bool:
    """Whether WORD.finditer(text) yields a token of `length` characters at `at`. Its tokens
    are maximal: a token starts at a letter or digit ([^\\W_], str.isalnum) not preceded by
    one, nor by a joiner (-+/.) that follows one (the token before would have taken it)."""
    if at > 0:
        before = text[at - 1]
        if before.isalnum() or (before in "-+/." and at > 1 and text[at - 2].isalnum()):
            return False
    token = WORD.match(text, at)
    return token is not None and token.end() == at + length


def _mark(text: str, spans: list[tuple[int, int, str]], offset: int = 0) -> str:
    out, pos = [], 0
    for start, end, _ in spans:
        start, end = start - offset, end - offset
        if start < pos or start < 0 or end > len(text):
            continue
        out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _window(text: str, spans: list[tuple[int, int, str]]) -> tuple[int, int]:
    """The span of text to show: the sentences with the most distinct matched terms."""
    # the sentences up to the one after the last match's (no later one can score)
    sentences = splitter().spans(text, spans[-1][0] if spans else 0) or [(0, len(text))]
    starts = [s for s, _, _ in spans]  # in text order
    best, best_score = sentences[0], -1.0
    for i, (start, end) in enumerate(sentences):
        # a sentence plus the next one while they fit
        stop = end
        if i + 1 < len(sentences) and sentences[i + 1][1] - start <= MAX_CHARS:
            stop = sentences[i + 1][1]
        found = set()
        for _, e, t in spans[bisect_left(starts, start) : bisect_left(starts, stop)]:
            if e <= stop:
                found.add(t)
        score = len(found) * 10 - i * 0.01
        if score > best_score:
            best, best_score = (start, stop), score
    start, end = best
    if end - start > MAX_CHARS:  # a long sentence: centre on its first match
        inside = [s for s, e, _ in spans if start <= s < end]
        centre = inside[0] if inside else start
        start = max(start, centre - MAX_CHARS // 3)
        end = min(end, start + MAX_CHARS)
    return start, end


def make_snippet(record: dict[str, Any], terms: set[str]) -> str:
    """An HTML snippet for a record and the (analysed) terms of the query."""
    best: tuple[int, str, str, set[str]] | None = None
    makers = _makers(terms)
    for label, text in _texts(record):
        if not text:
            continue
        words, found = _matching_words(text, terms, makers)
        if best is None or len(found) > best[0]:
            best = (len(found), label, text, words)
            if len(found) == len(terms):
                break  # no later text can match more (ties keep the first)
    if best is None:
        return ""
    _, label, text, words = best
    spans = _matches(text, terms, words)
    start, end = _window(text, spans)
    inside = [(s, e, t) for s, e, t in spans if s >= start and e <= end]
    html = _mark(text[start:end], inside, offset=start)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return escape(label) + prefix + html + suffix
