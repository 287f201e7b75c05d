"""The biomedical analyzer: one compiled regex, compound terms kept whole, cached Snowball stems.

Engine-neutral: it yields `Token`s (text, boost, position, offsets), the interface Whoosh's
analyzers share; search/whoosh/analysis.py makes it a Whoosh Analyzer, and every backend indexes
and queries with the same terms.

`IL-6`, `5-FU`, `CD4+`, `HbA1c`, `COVID-19` are indexed whole (lower-cased) and also as their
parts and their joined form (`il`, `6`, `il6`), all at the same position, so a query for any of
them finds the others. At query time only the whole token is produced, so a typed `IL-6` asks
for `il-6` and nothing looser.

Stems are NLTK's English Snowball, behind a dict cache. Measured here (1.33M words of PubMed
text, 30k distinct): PyStemmer stems distinct words 2.1x faster, but with the cache a pass over
all words costs 0.40 s with NLTK against 0.18 s with PyStemmer (about 2% of a build), and
PyStemmer 3.1 does NOT give the same stems: 33 of 23,182 MeSH words differ ("added", "organism",
"international"...). So NLTK's stemmer it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from nltk.stem.snowball import SnowballStemmer

from search import nltkdata

# A word is letters/digits, optionally joined to more by - + / . ' and optionally ending in '+'.
WORD = re.compile(r"[^\W_]+(?:[-+/.][^\W_]+)*\+*")
JOINERS = re.compile(r"[-+/.]+")
LAST_WORD = re.compile(r"^(.*[-+/.])([^\W\d_]+)$")  # "t-cells" -> ("t-", "cells")
_STEM_CACHE_LIMIT = 500_000
SECTION_MARK, WEIGHT_MARK = "\x1e", "\x1f"  # ASCII record / unit separators
SECTION_GAP = 100
_STEMS: dict[str, str] = {}  # Snowball stems of the process's stemming analyzers (bounded)


class Token:
    """One token, reused for the next one (as Whoosh's own tokenizers do): read its attributes
    before advancing the stream, never keep the object."""

    def __init__(
        self,
        positions: bool = False,
        chars: bool = False,
        removestops: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> None:
        self.positions = positions
        self.chars = chars
        self.stopped = False
        self.boost = 1.0
        self.removestops = removestops
        self.mode = mode
        self.text = ""
        self.pos = 0
        self.startchar = 0
        self.endchar = 0
        self.__dict__.update(kwargs)

    def copy(self) -> Token:
        return Token(**self.__dict__)


class BioAnalyzer:
    """Tokenize, lower-case, drop stop words, split compounds, and (optionally) stem."""

    def __init__(self, stem: bool = True, stoplist: frozenset[str] | None = None) -> None:
        self.stem = stem
        self.stoplist = nltkdata.stopwords() if stoplist is None else stoplist
        self._stemmer = SnowballStemmer("english") if stem else None
        # one stem cache per process for every stemming analyzer (the stems do not depend on
        # the instance): what the query parser stemmed, snippets find stemmed
        self._cache: dict[str, str] = _STEMS if stem else {}
        self._words: dict[str, tuple[str, ...]] = {}  # a word as written -> its terms
        self._query_words: dict[str, str | None] = {}  # the same, query mode (None: stopped)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BioAnalyzer)
            and other.stem == self.stem
            and other.stoplist == self.stoplist
        )

    def __hash__(self) -> int:
        return hash((self.stem, len(self.stoplist)))

    def __getstate__(self) -> dict[str, Any]:
        # The schema is pickled into the index's TOC: keep it small and stemmer-free.
        return {"stem": self.stem, "stoplist": self.stoplist}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def stem_word(self, word: str) -> str:
        """The Snowball stem of a lower-case word (words with digits are left as they are)."""
        if self._stemmer is None or not word.isalpha():
            return word
        stem = self._cache.get(word)
        if stem is None:
            stem = self._stemmer.stem(word)
            if len(self._cache) < _STEM_CACHE_LIMIT:
                self._cache[word] = stem
        return stem

    def _stem_compound(self, word: str) -> str:
        # A compound keeps its joiners; a final alphabetic part is stemmed ("t-cells" -> "t-cell").
        m = LAST_WORD.match(word) if self._stemmer is not None else None
        return m.group(1) + self.stem_word(m.group(2)) if m else word

    def terms(self, text: str, mode: str = "index") -> list[str]:
        """The indexed terms of `text` (a convenience for callers that need no positions)."""
        return [t.text for t in self(text, mode=mode)]

    def word_terms(self, word: str) -> tuple[str, ...]:
        """The index-mode terms of one WORD match (any case), in the order `__call__` yields
        them at that word's position; () for a stop word. Cached per distinct word."""
        found = self._words.get(word)
        if found is None:
            if WORD.fullmatch(word):
                found = self._one_word(word.lower())
            else:
                found = tuple(t.text for t in self(word))
            if len(self._words) < _STEM_CACHE_LIMIT:
                self._words[word] = found
        return found

    def _one_word(self, word: str) -> tuple[str, ...]:
        """The index-mode terms of a text that is one lower-cased WORD match: what `__call__`
        yields for it, without its Token and generator (a build meets ~400,000 new words in
        each writer process)."""
        stoplist, stem = self.stoplist, self.stem_word
        if word in stoplist:
            return ()
        if word.isalnum():
            return (stem(word),)
        parts = [p for p in JOINERS.split(word.rstrip("+")) if p]
        extra = [stem(p) for p in parts if p not in stoplist]
        if len(parts) > 1:
            extra.append(stem("".join(parts)))
        return (self._stem_compound(word), *(t for t in dict.fromkeys(extra) if t != word))

    def query_terms(self, text: str) -> list[str]:
        """`terms(text, mode="query")` through a cache of each word's query term (MeSH's
        term keys: search/fields.py term_key, 250,000 names in a build)."""
        if SECTION_MARK in text:  # a weighted field's value: its weights are not words
            return self.terms(text, mode="query")
        out: list[str] = []
        cache = self._query_words
        for word in WORD.findall(text):
            if word in cache:
                found = cache[word]
            else:
                lower = word.lower()
                found = None if lower in self.stoplist else self._query_term(lower)
                if len(cache) < _STEM_CACHE_LIMIT:
                    cache[word] = found
            if found is not None:
                out.append(found)
        return out

    def _query_term(self, word: str) -> str:
        return self.stem_word(word) if word.isalnum() else self._stem_compound(word)

    def positioned(self, text: str) -> list[tuple[str, int]]:
        """(term, position) of every index-mode token of `text`: exactly what
        `(t.text, t.pos) for t in self(text, positions=True)` gives, without a Token object and
        a generator step per token (the writers' hot path: one cached look-up per word)."""
        if SECTION_MARK in text:
            return [(t.text, t.pos) for t in self(text, positions=True)]
        out: list[tuple[str, int]] = []
        add = out.append
        words, word_terms = self._words, self.word_terms
        pos = 0
        for word in WORD.findall(text):
            found = words.get(word)
            if found is None:
                found = word_terms(word)
            if found:
                for t in found:
                    add((t, pos))
                pos += 1
        return out

    def __call__(  # noqa: C901 - one pass over the text on purpose: it is the hot path
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value.lower()
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return

        if SECTION_MARK in value:
            yield from self._sections(value, positions, chars, removestops, start_pos, mode)
            return
        query = mode == "query"
        stoplist = self.stoplist
        stem = self.stem_word
        pos = start_pos
        for match in WORD.finditer(value):
            word = match.group().lower()
            stopped = word in stoplist
            if stopped and removestops:
                continue
            token.stopped = stopped
            token.boost = 1.0
            if keeporiginal:
                token.original = match.group()
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            if positions:
                token.pos = pos
            compound = not word.isalnum()
            token.text = self._stem_compound(word) if compound else stem(word)
            yield token
            if compound and not query:
                parts = [p for p in JOINERS.split(word.rstrip("+")) if p]
                extra = [stem(p) for p in parts if p not in stoplist]
                if len(parts) > 1:
                    extra.append(stem("".join(parts)))
                for text in dict.fromkeys(extra):
                    if text != word:
                        token.text = text
                        yield token
            pos += 1

    def _sections(
        self, value: str, positions: bool, chars: bool, removestops: bool, pos: int, mode: str
    ) -> Iterator[Token]:
        """Weighted sections ("\x1e<weight>\x1f<text>"...): each token's boost is its
        section's weight, and positions jump a gap between sections so that phrases never
        match across them. This is how one field carries BM25F's per-field weights."""
        for section in value.split(SECTION_MARK)[1:]:
            weight, _, text = section.partition(WEIGHT_MARK)
            boost = float(weight)
            last = pos
            for token in self(
                text,
                positions=positions,
                chars=chars,
                removestops=removestops,
                start_pos=pos,
                mode=mode,
            ):
                token.boost = boost
                if positions:
                    last = token.pos
                yield token
            pos = last + SECTION_GAP


def weighted_text(sections: list[tuple[float, str]]) -> str:
    """One field value holding several weighted sections (see BioAnalyzer._sections)."""
    return "".join(
        f"{SECTION_MARK}{w:g}{WEIGHT_MARK}{_unmarked(text)}" for w, text in sections if text
    )


_CLEAN = str.maketrans({SECTION_MARK: " ", WEIGHT_MARK: " "})


def _unmarked(text: str) -> str:
    """`text` with the section marks made spaces (translated only when it holds one: a
    translation costs ~10 us an abstract, a search for the marks far less)."""
    return text.translate(_CLEAN) if SECTION_MARK in text or WEIGHT_MARK in text else text


def analyzer() -> BioAnalyzer:
    """The stemming analyzer used by the schema's text fields."""
    return BioAnalyzer(stem=True)


def exact_analyzer() -> BioAnalyzer:
    """The same tokens without stemming: the unstemmed copy used for spelling suggestions."""
    return BioAnalyzer(stem=False)
