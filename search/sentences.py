"""Sentence spans for snippets: NLTK Punkt's `span_tokenize`, the same algorithm on the same
model (search/nltkdata.py), with its per-break decisions remembered.

Punkt finds each candidate break (".", "?" or "!" before punctuation or a next word) by a
regular expression, then decides it from a short context alone: the word before, the mark and
what follows (`text_contains_sentbreak(context)`, a pure function of that string and the
model). The same contexts come back record after record ("patients. The", "al. (2019"), so a
decision is taken once per distinct context and kept. What NLTK 3.9+ adds per call is left out
for the model's own constant patterns: the wall-clock timeout around each regular-expression
match (nltk.redos, a defence for caller-supplied patterns) and its Python scan for the last
space. The spans are NLTK's: tests/test_sentences.py compares them with `span_tokenize` on
every text of the fixtures and on real records of data/sample.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import regex

from search import nltkdata

DECISIONS_LIMIT = 200_000  # distinct contexts remembered (each a few words)
_SPACES = " \t\n\r\x0b\x0c"  # string.whitespace, as Punkt's _get_last_whitespace_index


class SentenceSplitter:
    """Punkt's sentence spans (`span_tokenize(text)` with realigned boundaries)."""

    def __init__(self, punkt: object) -> None:
        lang = punkt._lang_vars  # type: ignore[attr-defined]
        period = lang.period_context_re()
        realign = lang.re_boundary_realignment
        # the same patterns through the same engine (the `regex` module), without the timeout
        self._period = regex.compile(period.pattern, period.flags)
        self._realign = regex.compile(realign.pattern, realign.flags)
        self._decide: Callable[[str], bool] = punkt.text_contains_sentbreak  # type: ignore[attr-defined]
        self._decisions: dict[str, bool] = {}

    def _breaks(self, context: str) -> bool:
        found = self._decisions.get(context)
        if found is None:
            found = self._decide(context)
            if len(self._decisions) < DECISIONS_LIMIT:
                self._decisions[context] = found
        return found

    def _contexts(self, text: str) -> list[tuple[regex.Match, str]]:
        """Punkt's _match_potential_end_contexts: each candidate break with its context (the
        word before it: from the last space after the previous candidate's word)."""
        out = []
        prev_start = prev_stop = 0
        previous = None
        for match in self._period.finditer(text):
            begin = match.start()
            space = max(text.rfind(c, prev_stop, begin) for c in _SPACES)
            # Punkt takes a space at the first position of that stretch as no space at all
            word_start = space + 1 if space > prev_stop else prev_start
            if previous is not None and prev_stop <= word_start:
                out.append((previous, text[prev_start:prev_stop] + _tail(previous)))
            previous, prev_start, prev_stop = match, word_start, begin
        if previous is not None:
            out.append((previous, text[prev_start:prev_stop] + _tail(previous)))
        return out

    def _slices(self, text: str) -> list[tuple[int, int]]:
        """Punkt's _slices_from_text."""
        out, last = [], 0
        for match, context in self._contexts(text):
            if self._breaks(context):
                out.append((last, match.end()))
                last = match.start("next_tok") if match.group("next_tok") else match.end()
        out.append((last, len(text.rstrip())))
        return out

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Punkt's span_tokenize(text) (with _realign_boundaries), as a list."""
        slices = self._slices(text)
        out, realign = [], 0
        for i, (start, stop) in enumerate(slices):
            start += realign
            if i + 1 == len(slices):
                if stop > start:
                    out.append((start, stop))
                continue
            nxt_start, nxt_stop = slices[i + 1]
            m = self._realign.match(text[nxt_start:nxt_stop])
            if m:
                out.append((start, nxt_start + len(m.group(0).rstrip())))
                realign = m.end()
            else:
                realign = 0
                if stop > start:
                    out.append((start, stop))
        return out


def _tail(match: regex.Match) -> str:
    return match.group() + match.group("after_tok")


@functools.cache
def splitter() -> SentenceSplitter:
    """The splitter on the project's Punkt model (one per process)."""
    return SentenceSplitter(nltkdata.sentence_splitter())
