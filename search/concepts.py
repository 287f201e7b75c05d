"""A description (long free text: a pasted patient note, an abstract) as a query: its medical
concepts weighted over its filler words, what it negates left out (search/querymodel.py).

The concepts are the MeSH headings and entry terms found in the text (search/expansion.py:
the longest phrase first, each searched as itself or any of its synonyms, once); the other
words still count, at FILLER_WEIGHT. Nothing is required: a record matching more of the
concepts ranks higher, as in BM25. Texts are plain words here: a description is never read
as query syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from search import querymodel
from search import querytree as qt
from search.expansion import Match
from search.models import Reading

CONCEPT_WEIGHT = 1.0  # a MeSH concept of the text (its words or a synonym, the best)
# a word no concept covers ("presented", "initially", "difficulty"); TREC CT 2021 nDCG@10:
# 0.15 0.628, 0.3 0.655, 0.6 0.635
FILLER_WEIGHT = 0.3
# A description's words in eligibility criteria and sites (fields.ASIDE) count this much
# (1.0 for other queries): a patient note reads like inclusion criteria. TREC CT 2021:
# nDCG@10 0.6645 -> 0.6657, recall@100 0.795 -> 0.815 with 2.0 (bench/evaluate.py).
ASIDE_WEIGHT = 2.0
MAX_CONCEPTS_SHOWN = 40
# MeSH trees whose descriptors count as concepts of a description ("": all). Keeping only
# anatomy, diseases, drugs, techniques, psychiatry and phenomena ("ACDEFG": no "Patients",
# "Human Rights", "Conus Snail") cost nDCG@10 on TREC CT 2021 (0.6657 -> 0.6460).
CONCEPT_TREES = ""


@dataclass(frozen=True, slots=True)
class Described:
    tree: qt.Node
    reading: Reading
    matches: tuple[Match, ...]


def scaled(node: qt.Node, factor: float) -> qt.Node:
    """Every leaf's boost times `factor` (constant-score leaves too)."""
    if factor == 1.0:
        return node
    if isinstance(node, (qt.Term, qt.Phrase, qt.Prefix, qt.Range)):
        return replace(node, boost=node.boost * factor)
    if isinstance(node, (qt.Or, qt.And, qt.DisMax)):
        return replace(node, children=tuple(scaled(c, factor) for c in node.children))
    if isinstance(node, qt.AndNot):
        return qt.AndNot(scaled(node.positive, factor), node.negative)
    if isinstance(node, qt.AndMaybe):
        return qt.AndMaybe(scaled(node.required, factor), scaled(node.optional, factor))
    return node


def describe_text(
    text: str,
    words_query: Callable[[str], qt.Node],
    expand: Callable[..., list[Match]] | None,
    patient: bool,
) -> Described:
    """The query tree of a description and what was read from it. `words_query` parses plain
    words (no syntax); `expand` finds the MeSH phrases of a text."""
    negated = tuple(" ".join(text[a:b].split()) for a, b in querymodel.negated_spans(text) if b > a)
    kept = querymodel.without_negated(text)
    found = expand(kept, categories=CONCEPT_TREES) if expand is not None else []
    matches = sorted(found, key=lambda m: m.start)
    parts: list[qt.Node] = []
    pos = 0
    for m in matches:
        if kept[pos : m.start].strip():
            parts.append(scaled(words_query(kept[pos : m.start]), FILLER_WEIGHT))
        typed = words_query(m.original.strip('"'))
        parts.append(scaled(qt.DisMax((typed, *m.queries)), CONCEPT_WEIGHT))
        pos = m.end
    if kept[pos:].strip():
        parts.append(scaled(words_query(kept[pos:]), FILLER_WEIGHT))
    tree = qt.normalize(qt.Or(tuple(parts))) if parts else qt.NOTHING
    concepts = _concepts(matches)
    demo = querymodel.demographics(text) if patient else querymodel.Demographics()
    reading = Reading(
        shape=querymodel.DESCRIPTION,
        concepts=concepts[:MAX_CONCEPTS_SHOWN],
        negated=negated,
        age=demo.age,
        sex=demo.sex,
    )
    return Described(tree, reading, tuple(matches))


def _concepts(matches: list[Match]) -> tuple[str, ...]:
    """The headings of the descriptors found, in text order, each once."""
    out: dict[str, None] = {}
    for m in matches:
        for e in m.expansions:
            out.setdefault(e.heading, None)
    return tuple(out)
