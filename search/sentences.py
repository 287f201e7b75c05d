"""Sentence spans for snippets: NLTK Punkt's `span_tokenize`, the same algorithm on the same
model (search/nltkdata.py), with its per-break decisions remembered.

Punkt finds each candidate break (".", "?" or "!" before punctuation or a next word) by a
regular expression, then decides it from a short context alone: the word before, the mark and
what follows (`text_contains_sentbreak(context)`, a pure function of that string and the
model). The same contexts come back record after record ("patients. The", "al. (2019"), so a
decision is taken once per distinct context and kept. What NLTK 3.9+ adds per call is left out
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

    def _breaks(self, context: str) -> bool:
        found = self._decisions.get(context)
        if found is None:
            found = self._decide(context)
            if len(self._decisions) < DECISIONS_LIMIT and len(context) <= CONTEXT_LIMIT:
                self._decisions[context] = found
        return found

    def _contexts(self, text: str) -> Iterator[tuple[regex.Match, str]]:
        """Punkt's _match_potential_end_contexts: each candidate break with its context (the
        word before it: from the last space after the previous candidate's word), in order."""
        prev_start = prev_stop = 0
        previous = None
        for match in self._period.finditer(text):
            begin = match.start()
            space = max(text.rfind(c, prev_stop, begin) for c in _SPACES)
            # Punkt takes a space at the first position of that stretch as no space at all
            word_start = space + 1 if space > prev_stop else prev_start
            if previous is not None and prev_stop <= word_start:
                yield previous, text[prev_start:prev_stop] + _tail(previous)
            previous, prev_start, prev_stop = match, word_start, begin
        if previous is not None:
            yield previous, text[prev_start:prev_stop] + _tail(previous)

    def _slices(self, text: str) -> Iterator[tuple[int, int]]:
        """Punkt's _slices_from_text, in order."""
        last = 0
        for match, context in self._contexts(text):
            if self._breaks(context):
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
