"""Similarity between records: the MeSH descriptors they share, each weighted by how specific it
is (rare among the records of the wanted type, deep in the tree), blended with text similarity
from the record's key terms (title words weigh most; authors, journals and ids are left out).

    score = MESH_SHARE * (sum of shared descriptor weights / sum of the record's weights)
          + (1 - MESH_SHARE) * (BM25F of the key terms / its upper bound)

This module says what a record is about (its descriptors and key terms, `Profile`) and what a
ranking of similar records holds; they are ranked over the index view's bitsets
(search/related_rank.py) or by a backend's own ranking (search/xapian/related.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from search import fields as f
from search.analysis import analyzer
from search.facets import CHECK_TAGS
from search.models import Descriptor
from search.related_mesh import MeshBook
from search.view import Head, IndexView

_ANALYZER = analyzer()  # the text fields' analyzer: key terms are terms as indexed


@dataclass(frozen=True, slots=True)
class Tuning:
    """The knobs of the similarity score (defaults tuned with bench/related.py)."""

    mesh_share: float = 0.2  # weight of shared MeSH against text in the blend
    key_terms: int = 20  # words of the record searched for
    pool_terms: int = 10  # leading key terms that define the candidate pool ...
    pool_min_match: int = 2  # ... a candidate must have this many of them (or share MeSH)
    max_df: float = 0.1  # words in more than this share of the records are not key terms
    depth_base: float = 0.4  # a descriptor's weight x min(1, base + step x tree depth)
    depth_step: float = 0.15
    major_bonus: float = 0.5  # a shared descriptor that is a major topic of an article
    minor_topic: float = 0.5  # source side: weight of an article's non-major headings
    rerank: int = 10  # x limit: candidates whose exact text score is computed
    strong_share: float = 0.5  # a strong match scores at least this share of the best one
    sections: dict[str, float] = field(
        default_factory=lambda: {
            "title": 3.0,
            "condition": 2.0,
            "intervention": 2.0,
            "keyword": 1.5,
            "summary": 1.0,
            "description": 0.0,
        }
    )


DEFAULT = Tuning()


@dataclass(frozen=True, slots=True)
class Concept:
    """A MeSH descriptor of the source record and its weight on the source side."""

    descriptor: Descriptor
    role: str  # condition | intervention | major topic | topic
    weight: float


@dataclass(frozen=True, slots=True)
class KeyTerm:
    term: str  # as indexed (stemmed)
    word: str  # as the record writes it
    weight: float  # weighted term frequency x idf


@dataclass(frozen=True, slots=True)
class Profile:
    """What a record is about, for similarity: its descriptors and its key terms."""

    docnum: int
    concepts: tuple[Concept, ...]
    terms: tuple[KeyTerm, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    docnum: int
    score: float
    shared: tuple[Descriptor, ...]  # shared descriptors, heaviest first
    words: tuple[str, ...]  # leading key terms the candidate contains
    head: Head | None = None  # its id, type and title, when the ranking read them


@dataclass(frozen=True, slots=True)
class Ranking:
    total: int  # candidates in the pool
    hits: tuple[Scored, ...]
    strong: int = 0  # candidates scoring at least `strong_share` x the best one (`floor`)
    floor: float = 0.0


def sections(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(section, text) pairs of a record that describe what it is about."""
    kind = record["type"]
    if kind == f.TRIAL:
        return [
            ("title", record["brief_title"]),
            ("title", record["official_title"]),
            ("condition", "\n".join(record["conditions"])),
            ("intervention", "\n".join(i["name"] for i in record["interventions"])),
            ("keyword", "\n".join(record["keywords"])),
            ("summary", record["brief_summary"]),
            ("description", record["detailed_description"]),
        ]
    if kind == f.ARTICLE:
        return [
            ("title", record["title"]),
            ("keyword", "\n".join(record["keywords"])),
            ("summary", "\n".join(s["text"] for s in record["abstract"])),
        ]
    return [
        ("title", record["heading"]),
        ("keyword", "\n".join(record["entry_terms"])),
        ("summary", record["scope_note"]),
    ]


def _display(word: str) -> str:
    """'Melanoma' -> 'melanoma' (a capital from the start of a sentence), 'RECOMBINANT' ->
    'recombinant' (an upper-case title); 'IL-2', 'NSCLC', 'GM-CSF' stay."""
    shouted = word.isalpha() and word.isupper() and len(word) > 6
    return word if any(c.isupper() for c in word[1:]) and not shouted else word.lower()


_QUERY_TERMS: dict[str, tuple[str, ...]] = {}
_QUERY_TERMS_LIMIT = 200_000  # words kept (as the analyzer's own caches)


def _query_terms(word: str) -> tuple[str, ...]:
    """The query-mode terms of a word as written (cached: every record names common words)."""
    found = _QUERY_TERMS.get(word)
    if found is None:
        found = tuple(_ANALYZER.terms(word, mode="query"))
        if len(_QUERY_TERMS) < _QUERY_TERMS_LIMIT:
            _QUERY_TERMS[word] = found
    return found


Frequencies = Callable[[Sequence[str]], dict[str, int]]  # terms of ALL -> documents holding each


def key_terms(
    view: IndexView,
    record: dict[str, Any],
    tuning: Tuning = DEFAULT,
    frequencies: Frequencies | None = None,
) -> tuple[KeyTerm, ...]:
    """The record's most telling words: weighted term frequency x idf over the whole index,
    leaving out words found in no other record or in more than `max_df` of them, and the
    parts of compounds ("il", "2" and "il2" of "IL-2"), which would count one word thrice.
    `frequencies`: the terms' document frequencies all at once (default: one by one)."""
    weights: dict[str, float] = {}
    words: dict[str, str] = {}
    whole: dict[str, bool] = {}
    for name, text in sections(record):
        boost = tuning.sections.get(name, 0.0)
        if not boost or not text:
            continue
        for token in _ANALYZER(text, keeporiginal=True):
            if token.text.isdigit() or len(token.text) < 2 or "/" in token.text:
                continue
            weights[token.text] = weights.get(token.text, 0.0) + boost
            if not whole.get(token.text):
                # shown as written; a compound's part ("2" of "IL-2") as its compound, until
                # the word is seen on its own
                alone = _query_terms(token.original) == (token.text,)
                if alone or token.text not in words:
                    whole[token.text] = alone
                    words[token.text] = token.original
    n = view.live.bit_count()
    wanted = [t for t in weights if whole[t]]  # a compound's parts: not again
    if frequencies is not None:
        dfs = frequencies(wanted)
    else:
        dfs = {t: view.doc_frequency(f.ALL, t) for t in wanted}
    scored = []
    for term in wanted:
        tf, df = weights[term], dfs[term]
        if 2 <= df <= tuning.max_df * n:  # a compound's parts: not again
            scored.append(KeyTerm(term, _display(words[term]), tf * math.log(n / df)))
    scored.sort(key=lambda k: (-k.weight, k.term))
    return tuple(scored[: tuning.key_terms])


def concepts(
    book: MeshBook, record: dict[str, Any], tuning: Tuning = DEFAULT
) -> tuple[Concept, ...]:
    """The record's descriptors (check tags such as Humans left out), each once."""
    kind = record["type"]
    found: list[tuple[Descriptor | None, str, float]] = []
    if kind == f.TRIAL:
        for role, key in (("condition", "condition_mesh"), ("intervention", "intervention_mesh")):
            found += [(book.resolve(m["ui"], m["term"]), role, 1.0) for m in record[key]]
    elif kind == f.ARTICLE:
        for h in sorted(record["mesh_headings"], key=lambda h: not h["major"]):
            role, weight = ("major topic", 1.0) if h["major"] else ("topic", tuning.minor_topic)
            found.append((book.resolve(h["ui"], h["name"]), role, weight))
    seen: set[str] = set()
    out = []
    for d, role, weight in found:
        if d is not None and d.ui not in seen and d.ui not in CHECK_TAGS:
            seen.add(d.ui)
            out.append(Concept(d, role, weight))
    return tuple(out)
