"""Sentence spans for snippets: NLTK Punkt's `span_tokenize`, the same algorithm on the same
model (search/nltkdata.py), with its per-break decisions remembered.

Punkt finds each candidate break (".", "?" or "!" before punctuation or a next word) by a
regular expression, then decides it from a short context alone: the word before, the mark and
what follows (`text_contains_sentbreak(context)`, a pure function of that string and the
model). Most candidates end a plain word ("patients. The"), which Punkt always takes for a break:
those are decided here without it (_plain_break, 83% of the candidates of the warm-search
benchmark's snippets, where only 16% of the contexts had come before). The others come back
record after record ("al. (2019", "Fig. 2"), so a decision is taken once per distinct context
and kept. What NLTK 3.9+ adds per call is left out
for the model's own constant patterns: the wall-clock timeout around each regular-expression
match (nltk.redos, a defence for caller-supplied patterns: ~4 us a call, most of a decision's
cost, on the few words of a context here) and its Python scan for the last space. The spans are
NLTK's: tests/test_sentences.py compares them with `span_tokenize` on every text of the
fixtures and of real records of data/sample.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import regex

from search import nltkdata

DECISIONS_LIMIT = 200_000  # distinct contexts remembered (each a few words)
CONTEXT_LIMIT = 200  # characters of a context worth remembering (its words are tokens)
_SPACES = " \t\n\r\x0b\x0c"  # string.whitespace, as Punkt's _get_last_whitespace_index


def _untimed(pattern: Any) -> regex.Pattern:
    """One of NLTK's own constant patterns (an nltk.redos.TimedPattern): the same pattern
    through the same engine (the `regex` module), without the time limit."""
    return regex.compile(pattern.pattern, pattern.flags)


def _decider(punkt: Any) -> Callable[[str], bool]:
    """`punkt.text_contains_sentbreak` on the same model, with NLTK's token class and word
    tokenizer running their own patterns untimed (search/sentences.py's docstring)."""
    from nltk.tokenize import punkt as nltk_punkt

    base = nltk_punkt.PunktToken
    non_punct = _untimed(nltk_punkt._re_non_punct)

    class Token(base):  # type: ignore[misc, valid-type]
        __slots__ = ()
        _RE_ELLIPSIS = _untimed(base._RE_ELLIPSIS)
        _RE_NUMERIC = _untimed(base._RE_NUMERIC)
        _RE_INITIAL = _untimed(base._RE_INITIAL)
        _RE_ALPHA = _untimed(base._RE_ALPHA)

        @property
        def is_non_punct(self) -> Any:
            return non_punct.search(self.type)

    lang = type(punkt._lang_vars)()
    lang._re_word_tokenizer = _untimed(punkt._lang_vars._word_tokenizer_re())
    decider = nltk_punkt.PunktSentenceTokenizer(lang_vars=lang, token_cls=Token)
    decider._params = punkt._params
    return decider.text_contains_sentbreak


class SentenceSplitter:
    """Punkt's sentence spans (`span_tokenize(text)` with realigned boundaries)."""

    def __init__(self, punkt: Any) -> None:
        lang = punkt._lang_vars
        self._period = _untimed(lang.period_context_re())
        self._realign = _untimed(lang.re_boundary_realignment)
        self._decide: Callable[[str], bool] = _decider(punkt)
        self._decisions: dict[str, bool] = {}
        params = punkt._params
        from nltk.tokenize.punkt import PunktToken

        self._tokens = _untimed(lang._word_tokenizer_re())
        self._numeric = _untimed(PunktToken._RE_NUMERIC)
        self._initial = _untimed(PunktToken._RE_INITIAL)
        self._abbreviations = frozenset(params.abbrev_types)
        self._firsts = frozenset(a for a, _ in params.collocations)  # "##number##", "j"...
        # lower-case words whose "word." Punkt may take for no break (_plain_break)
        self._not_plain = self._abbreviations | self._firsts

    def _breaks(self, match: regex.Match, word: str) -> bool:
        """Punkt's decision on the candidate `match` after `word`."""
        if match.group() == "." and self._plain_break(word):
            return True
        context = word + _tail(match)
        found = self._decisions.get(context)
        if found is None:
            found = self._decide(context)
            if len(self._decisions) < DECISIONS_LIMIT and len(context) <= CONTEXT_LIMIT:
                self._decisions[context] = found
        return found

    def _plain_break(self, word: str) -> bool:
        """Whether "word." before a space and a token, or before other punctuation, is a break
        that Punkt finds from the period's own token alone: the last of Punkt's word tokens of
        "word." ("patients.", "(GEO)" -> ")."), which is no abbreviation of the model, no
        initial ("J."), no ellipsis, no number and no first word of a collocation ("et al.",
        "Fig. 2", "J. Smith", "2019. The" are decided by Punkt). Its first pass makes that token
        a break; the second changes that only for collocations, abbreviations, ellipses,
        initials and numbers; and a token follows it, so the context holds a break
        (tests/test_sentences.py compares every such candidate of the real texts with Punkt's
        own decision). A word of two or more ASCII letters needs no tokenizing."""
        if len(word) > 1 and word.isascii() and word.isalpha():
            return word.lower() not in self._not_plain
        last = self._tokens.findall(word + ".")[-1]
        if last == ".":  # a mark of its own: a break in the first pass
            return "." not in self._firsts
        if last.endswith("..") or self._initial.match(last):
            return False
        low = last[:-1].lower()
        if low in self._abbreviations or low.split("-")[-1] in self._abbreviations:
            return False
        kind = self._numeric.sub("##number##", last.lower())
        kind = kind[:-1] if len(kind) > 1 and kind[-1] == "." else kind
        return kind != "##number##" and kind not in self._firsts

    def _contexts(self, text: str) -> Iterator[tuple[regex.Match, str]]:
        """Punkt's _match_potential_end_contexts: each candidate break with the word before it
        (from the last space after the previous candidate's word; its context is the word and
        _tail(match)), in order."""
        prev_start = prev_stop = 0
        previous = None
        spaces = [c for c in _SPACES if c in text]  # the whitespace characters it holds
        for match in self._period.finditer(text):
            begin = match.start()
            space = max([text.rfind(c, prev_stop, begin) for c in spaces], default=-1)
            # Punkt takes a space at the first position of that stretch as no space at all
            word_start = space + 1 if space > prev_stop else prev_start
            if previous is not None and prev_stop <= word_start:
                yield previous, text[prev_start:prev_stop]
            previous, prev_start, prev_stop = match, word_start, begin
        if previous is not None:
            yield previous, text[prev_start:prev_stop]

    def _slices(self, text: str) -> Iterator[tuple[int, int]]:
        """Punkt's _slices_from_text, in order."""
        last = 0
        for match, word in self._contexts(text):
            if self._breaks(match, word):
                yield last, match.end()
                last = match.start("next_tok") if match.group("next_tok") else match.end()
        yield last, len(text.rstrip())

    def spans(self, text: str, until: int | None = None) -> list[tuple[int, int]]:
        """Punkt's span_tokenize(text) (with _realign_boundaries), as a list; with `until`,
        only its first spans: up to the first after the first two that starts beyond `until`
        (the same spans: each is decided from the text before it and the next slice)."""
        slices = self._slices(text)
        out: list[tuple[int, int]] = []
        realign = 0
        start, stop = next(slices)
        for nxt_start, nxt_stop in slices:
            start += realign
            m = self._realign.match(text[nxt_start:nxt_stop])
            if m:
                out.append((start, nxt_start + len(m.group(0).rstrip())))
                realign = m.end()
            else:
                realign = 0
                if stop > start:
                    out.append((start, stop))
            if until is not None and len(out) >= 2 and out[-1][0] > until:
                return out
            start, stop = nxt_start, nxt_stop
        start += realign
        if stop > start:
            out.append((start, stop))
        return out


def _tail(match: regex.Match) -> str:
    return match.group() + match.group("after_tok")


@functools.cache
def splitter() -> SentenceSplitter:
    """The splitter on the project's Punkt model (one per process)."""
    return SentenceSplitter(nltkdata.sentence_splitter())
