"""Pseudo-relevance feedback (RM3): the words of the best few records of a first search added,
weighted, to the query of the second, where the query's shape gains from it.

The relevance model is RM1 over the top FEEDBACK_DOCS records: p(w|R) = sum over records d of
p(w|d) x the share of d in their scores, p(w|d) = tf / |d| over the record's describing
sections (search/related_similar.py sections), stop words, numbers and one-letter words left
out. Its best FEEDBACK_TERMS words become an optional clause (AndMaybe: the match set does not
change, only the ranking within it) whose weights sum to FEEDBACK_WEIGHT x the number of
words of the query. Which shapes get it, and the constants, are tuned on the train splits
(bench/evaluate.py --set): see README "Ranking".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from search import fields as f
from search import querymodel
from search import querytree as qt
from search.analysis import SECTION_MARK, WORD, analyzer
from search.related_similar import sections

FEEDBACK_DOCS = 10
FEEDBACK_TERMS = 20
FEEDBACK_WEIGHT = 0.5
FEEDBACK_MAX_WORDS = 8  # longer queries (claims, descriptions) lost nDCG with it
SHAPES = frozenset({querymodel.QUESTION})  # short questions; keywords gained nothing
_ANALYZER = analyzer()
_TERMS: dict[str, str | None] = {}  # a word as written -> its kept query term (None: left out)
MAX_WORDS = 200_000  # words whose terms are kept (then forgotten at once)


def _kept(term: str) -> bool:
    return len(term) > 1 and not term.replace(".", "").isdigit()


def words_of(text: str) -> list[str]:
    """The query-mode terms of `text` the relevance model counts (stop words, numbers and
    one-letter words left out), in order: `_ANALYZER.terms(text, mode="query")` filtered, with
    one look-up per word as written (a query-mode word yields one term or none, the same alone
    as within its text) instead of a token object and a stem look-up per word."""
    if SECTION_MARK in text:  # weighted sections: the analyzer's own path
        return [t for t in _ANALYZER.terms(text, mode="query") if _kept(t)]
    out: list[str] = []
    terms = _TERMS
    for word in WORD.findall(text):
        found = terms.get(word, "")
        if found == "":
            analysed = _ANALYZER.terms(word, mode="query")
            found = analysed[0] if analysed and _kept(analysed[0]) else None
            if len(terms) >= MAX_WORDS:
                terms.clear()
            terms[word] = found
        if found is not None:
            out.append(found)
    return out


def wanted(shape: str | None, sort: str, words: int) -> bool:
    """Whether a query of this shape and number of words gets feedback."""
    return shape in SHAPES and words <= FEEDBACK_MAX_WORDS and sort == "relevance"


def relevance_model(
    records: Sequence[dict[str, Any]], scores: Sequence[float]
) -> list[tuple[str, float]]:
    """(term, p(w|R)) of the best FEEDBACK_TERMS words of the records, best first."""
    total = sum(scores) or 1.0
    model: Counter[str] = Counter()
    for record, score in zip(records, scores, strict=True):
        words = [t for _, text in sections(record) if text for t in words_of(text)]
        if not words:
            continue
        share = score / total
        for word, tf in Counter(words).items():
            model[word] += share * tf / len(words)
    return sorted(model.items(), key=lambda kv: (-kv[1], kv[0]))[:FEEDBACK_TERMS]


def clause(
    records: Sequence[dict[str, Any]],
    scores: Sequence[float],
    query_words: int,
    weight: float | None = None,
) -> qt.Node | None:
    """The feedback words as one weighted Or (None when there is nothing to add)."""
    weight = FEEDBACK_WEIGHT if weight is None else weight
    model = relevance_model(records, scores)
    mass = sum(p for _, p in model)
    if not model or not mass or weight <= 0:
        return None
    scale = weight * max(1, query_words) / mass
    return qt.Or(tuple(qt.Term(f.ALL, term, p * scale) for term, p in model))


def from_top(
    top: Sequence[int],
    scores: Sequence[float],
    record_of: Callable[[int], dict[str, Any]],
    query_words: int,
) -> qt.Node | None:
    """The feedback clause from a first search's best records (`top`, their `scores`)."""
    docs = list(top[:FEEDBACK_DOCS])
    if not docs:
        return None
    return clause([record_of(d) for d in docs], list(scores[: len(docs)]), query_words)
