"""MeSH-aware expansion: query phrases that are MeSH headings or entry terms also match the
records indexed with that descriptor (synonyms), and optionally with its narrower descriptors
(explode, via tree-number prefixes). Expanded clauses carry a lower boost than the words.

Recognition is an index look-up: each run of plain query words is matched, longest n-gram
first, against the `entry_key` field of MeSH documents (sorted stems of heading + entry terms).
Engine-neutral: the look-ups go through a `MeshSource` (search/related_mesh.py ViewMeshSource,
over any backend's index view); the clauses added are search/querytree.py nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Protocol

from search import fields as f
from search import querytree as qt
from search.analysis import analyzer
from search.meshnames import Named, ranked_uis
from search.models import Expansion

MAX_NGRAM = 6
MAX_UIS_PER_PHRASE = 2
MAX_SYNONYMS = 4  # heading/entry terms searched as phrases next to the user's words
SYNONYM_BOOST = 0.5  # descriptor match; tuned on NFCorpus train (bench/eval_nfcorpus.py)
TEXT_SYNONYM_BOOST = 0.4  # a synonym found in the text
EXPLODE_BOOST = 0.3
MIN_SINGLE_WORD = 4  # a one-word phrase shorter than this is not looked up ("us", "ct")

_LEX = re.compile(
    r'(?P<quoted>"[^"]*")'
    r"|(?P<field>[A-Za-z_]+:(?:\"[^\"]*\"|[^\s()\"]+))"
    r"|(?P<paren>[()])"
    r"|(?P<word>[^\s()\"]+)"
)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_ANALYZER = analyzer()


def _stop(word: str) -> bool:
    return word.lower() in _ANALYZER.stoplist


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    text: str


def _runs(text: str) -> list[list[_Span] | _Span]:
    """Runs of consecutive plain words (lists) and quoted phrases (single spans)."""
    runs: list[list[_Span] | _Span] = []
    current: list[_Span] = []
    for m in _LEX.finditer(text):
        kind = m.lastgroup
        token = m.group()
        if kind == "word" and token not in _OPERATORS and not token.endswith("*"):
            current.append(_Span(m.start(), m.end(), token))
            continue
        if current:
            runs.append(current)
            current = []
        if kind == "quoted" and len(token) > 2:
            runs.append(_Span(m.start(), m.end(), token.strip('"')))
    if current:
        runs.append(current)
    return runs


@dataclass(frozen=True, slots=True)
class Match:
    """A MeSH phrase of the query: where it is, and the query clauses it adds."""

    start: int
    end: int
    original: str  # the text as typed (quoted phrases keep their quotes)
    alternatives: tuple[str, ...]  # query syntax: mesh_ui:..., "synonym", mesh_tree:...*
    queries: tuple[qt.Node, ...]  # the same alternatives as query tree nodes
    expansions: tuple[Expansion, ...]


class MeshSource(Protocol):
    """What expansion asks of an index (each backend answers from its own)."""

    def descriptors_keyed(self, key: str) -> list[Named]:
        """MeSH descriptors with this term key (search/fields.py term_key) in `entry_key`."""
        ...

    def descriptor(self, ui: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
        """(heading, tree numbers, entry terms) of a descriptor, None if the index has none."""
        ...

    def narrower_count(self, trees: tuple[str, ...]) -> int:
        """Distinct tree numbers in the index below these tree numbers."""
        ...


class MeshExpander:
    """Finds MeSH phrases in a query (through one index's MeshSource)."""

    def __init__(self, source: MeshSource) -> None:
        self.source = source

    def lookup(self, phrase: str) -> list[str]:
        """UIs of descriptors whose heading or an entry term is `phrase` (word order free)."""
        key = f.term_key(phrase)
        if not key:
            return []
        # stems collide ("diabetes" ~ "Diabetal", "organic" ~ "Organization"): the term key
        # finds candidates, the one naming rule (search/meshnames.py) keeps and orders them
        candidates = self.source.descriptors_keyed(key)
        return ranked_uis(phrase, candidates)[:MAX_UIS_PER_PHRASE]

    def _descriptor(self, ui: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """(heading, tree numbers, entry terms) of a descriptor."""
        return self.source.descriptor(ui) or (ui, (), ())

    @staticmethod
    def _synonyms(phrase: str, heading: str, entries: tuple[str, ...]) -> list[str]:
        """Other names of the descriptor to search as text: the heading first, then the
        shortest entry terms, each different (by term key) from what the user typed; inverted
        forms ("Infarction, Myocardial") are left out, as text never reads that way."""
        seen = {f.term_key(phrase)}
        out = []
        for term in (heading, *sorted(entries, key=len)):
            key = f.term_key(term)
            if key and key not in seen and not set(term) & set('",:()*'):
                seen.add(key)
                out.append(term)
            if len(out) == MAX_SYNONYMS:
                break
        return out

    def _within(self, uis: list[str], categories: str) -> list[str]:
        if not categories or not uis:
            return uis
        return [
            ui
            for ui in uis
            if not (trees := self._descriptor(ui)[1]) or any(t[:1] in categories for t in trees)
        ]

    def _narrower(self, trees: tuple[str, ...]) -> int:
        return self.source.narrower_count(trees)

    def _alternatives(self, original: str, uis: list[str], mode: str) -> Match:
        texts: list[str] = []
        queries: list[qt.Node] = []
        found = []
        phrase = original.strip('"')
        for ui in uis:
            heading, trees, entries = self._descriptor(ui)
            texts.append(f"{f.MESH_UI}:{ui}^{SYNONYM_BOOST}")
            queries.append(qt.Term(f.MESH_UI, ui, boost=SYNONYM_BOOST))
            for term in self._synonyms(phrase, heading, entries):
                words = _ANALYZER.terms(term, mode="query")
                texts.append(f'"{term}"^{TEXT_SYNONYM_BOOST}')
                queries.append(
                    qt.Term(f.ALL, words[0], boost=TEXT_SYNONYM_BOOST)
                    if len(words) == 1
                    else qt.Phrase(f.ALL, tuple(words), boost=TEXT_SYNONYM_BOOST)
                )
            narrower = 0
            if mode == "explode" and trees:
                narrower = self._narrower(trees)
                for t in trees:
                    texts.append(f"{f.MESH_TREE}:{t}.*^{EXPLODE_BOOST}")
                    queries.append(qt.Prefix(f.MESH_TREE, t + ".", EXPLODE_BOOST, constant=True))
            found.append(Expansion(phrase, ui, heading, mode, narrower))
        return Match(0, 0, original, tuple(texts), tuple(queries), tuple(found))

    def find(self, text: str, mode: str, categories: str = "") -> list[Match]:
        """The MeSH phrases of a query (longest first, not overlapping), with what each adds;
        `categories`: only descriptors in these MeSH trees (first letters of tree numbers,
        "ACD..."; descriptors without a tree number count as in them)."""
        if mode == "none":
            return []
        matches: list[Match] = []
        for run in _runs(text):
            if isinstance(run, _Span):
                uis = self._within(self.lookup(run.text), categories)
                if uis:
                    m = self._alternatives(f'"{run.text}"', uis, mode)
                    matches.append(replace(m, start=run.start, end=run.end))
                continue
            i = 0
            while i < len(run):
                for n in range(min(MAX_NGRAM, len(run) - i), 0, -1):
                    words = run[i : i + n]
                    phrase = " ".join(w.text for w in words)
                    if n == 1 and len(phrase) < MIN_SINGLE_WORD:
                        continue
                    if n > 1 and (_stop(words[0].text) or _stop(words[-1].text)):
                        continue  # "is interleukin-2" is not a phrase of its own
                    uis = self._within(self.lookup(phrase), categories)
                    if uis:
                        start, end = words[0].start, words[-1].end
                        m = self._alternatives(text[start:end], uis, mode)
                        matches.append(replace(m, start=start, end=end))
                        i += n
                        break
                else:
                    i += 1
        return matches


def rewrite_text(text: str, matches: list[Match]) -> str:
    """The query text with each MeSH phrase OR'ed with its alternatives (for boolean queries,
    where the parser must see everything; plain queries use DisjunctionMax instead)."""
    for m in sorted(matches, key=lambda m: m.start, reverse=True):
        clause = "(" + " OR ".join((m.original, *m.alternatives)) + ")"
        text = text[: m.start] + clause + text[m.end :]
    return text
