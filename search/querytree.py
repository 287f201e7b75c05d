"""The parsed query as a neutral tree: what every backend evaluates (search/whoosh/, others).

The parser (search/syntax.py) turns what a user typed into these nodes; MeSH expansion
(search/expansion.py) adds alternatives; a backend translates the tree into its engine's query.
Texts are index terms already (analysed by search/analysis.py for text fields, enum spellings
for keyword fields), so a backend never analyses again. Field names are search/fields.py's.

Scoring contract, the same on every backend (BM25F on the field; search/scoring.py):
- Term, Phrase: BM25 of the term (a phrase: the sum of its words' scores where it occurs,
  words within `slop` positions of each other, in order) x boost.
- Prefix: the index terms it stands for, scored as their OR x boost (a prefix standing for
  more than MAX_EXPANDED_TERMS words, or the prefixes of one query together, is refused as
  too costly; MeSH tree prefixes are exempt); with `constant`, every match scores `boost` (MeSH
  explode: records under a tree branch, no term statistics wanted).
- Range: a constant score (boost) for every match.
- Or: the sum of the matching children, in documents matching at least `minimum` of them
  (0: any); And: all children must match, the sum;
  AndNot: `positive` without the documents `negative` matches, positive's score;
  AndMaybe: `required`'s documents, plus `optional`'s score where it matches too;
  DisMax: the best child's score (a MeSH concept: its words or any of its synonyms, once);
  Every: all documents, score `boost`; Nothing: no document.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

MAX_EXPANSIONS = 1024  # index terms a snippet marks for one Prefix
# Indexed words the prefixes of one query may stand for together: their cost grows with the
# vocabulary (each word's postings are read), so past this the query is refused, as Lucene's
# maxClauseCount does. MeSH tree prefixes (mesh_tree:C04*, written by the MeSH pages and by
# explode) are exempt: the tree is MeSH's, about 56,000 numbers in all.
MAX_EXPANDED_TERMS = 4096


@dataclass(frozen=True, slots=True)
class Term:
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class Phrase:
    field: str
    words: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class Prefix:
    field: str
    text: str
    boost: float = 1.0
    constant: bool = False


@dataclass(frozen=True, slots=True)
class Range:
    """Numeric values low..high, both ends included; None: open."""

    field: str
    low: int | None
    high: int | None
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]
    boost: float = 1.0
    minimum: int = 0  # children a document must match (minimum should match)


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class AndNot:
    positive: Node
    negative: Node


@dataclass(frozen=True, slots=True)
class AndMaybe:
    required: Node
    optional: Node


@dataclass(frozen=True, slots=True)
class DisMax:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Every:
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class Nothing:
    pass


Node = Term | Phrase | Prefix | Range | Or | And | AndNot | AndMaybe | DisMax | Every | Nothing
NOTHING = Nothing()


def boost_of(node: Node) -> float:
    return getattr(node, "boost", 1.0)


def with_boost(node: Node, boost: float) -> Node:
    """The node with another boost (nodes without one are left as they are)."""
    return replace(node, boost=boost) if hasattr(node, "boost") else node


def normalize(node: Node) -> Node:
    """Nested ORs (ANDs) flattened, duplicates and Nothings dropped, one-child groups and
    one-word phrases unwrapped; an exclusion of nothing is its positive side, and an empty
    positive side is Nothing."""
    if isinstance(node, (Or, And, DisMax)):
        flat: list[Node] = []
        for child in map(normalize, node.children):
            if type(child) is type(node) and not getattr(child, "minimum", 0):
                scale = boost_of(child)
                flat.extend(with_boost(c, boost_of(c) * scale) for c in child.children)  # type: ignore[union-attr]
            else:
                flat.append(child)
        kept: list[Node] = []
        for child in flat:
            if not isinstance(child, Nothing) and child not in kept:
                kept.append(child)
        if not kept:
            return NOTHING
        if len(kept) == 1:
            only = kept[0]
            return with_boost(only, boost_of(only) * boost_of(node))
        if isinstance(node, DisMax):
            return DisMax(tuple(kept))
        if isinstance(node, Or) and node.minimum:
            if node.minimum >= len(kept):
                return And(tuple(kept), node.boost)
            return Or(tuple(kept), node.boost, node.minimum)
        return type(node)(tuple(kept), node.boost)
    if isinstance(node, (AndNot, AndMaybe)):
        a, b = (
            (node.positive, node.negative)
            if isinstance(node, AndNot)
            else (
                node.required,
                node.optional,
            )
        )
        a, b = normalize(a), normalize(b)
        if isinstance(a, Nothing):
            return NOTHING
        if isinstance(b, Nothing):
            return a
        return AndNot(a, b) if isinstance(node, AndNot) else AndMaybe(a, b)
    if isinstance(node, Phrase) and len(node.words) < 2:
        return Term(node.field, node.words[0], node.boost) if node.words else NOTHING
    return node


def refield(node: Node, source: str, target: str) -> Node:
    """The positive text of `node` searched in `target` instead of `source` (other fields and
    exclusions dropped): the optional, score-only twin of a query (fields.ASIDE)."""
    if isinstance(node, (Term, Phrase, Prefix)):
        return replace(node, field=target) if node.field == source else NOTHING
    if isinstance(node, (Or, And)):
        return Or(tuple(refield(c, source, target) for c in node.children), node.boost)
    if isinstance(node, DisMax):
        return DisMax(tuple(refield(c, source, target) for c in node.children))
    if isinstance(node, AndNot):
        return refield(node.positive, source, target)
    if isinstance(node, AndMaybe):
        return Or((refield(node.required, source, target), refield(node.optional, source, target)))
    return NOTHING


def leaves(node: Node) -> Iterator[Term | Phrase | Prefix | Range]:
    """The leaf nodes of a tree, left to right."""
    if isinstance(node, (Term, Phrase, Prefix, Range)):
        yield node
    elif isinstance(node, (Or, And, DisMax)):
        for child in node.children:
            yield from leaves(child)
    elif isinstance(node, AndNot):
        yield from leaves(node.positive)
    elif isinstance(node, AndMaybe):
        yield from leaves(node.required)
        yield from leaves(node.optional)


def positive_terms(node: Node) -> Iterator[tuple[str, str]]:
    """(field, term) of every Term and Phrase word a matching document may hold (not the
    excluded ones): the words a snippet marks."""
    for leaf in leaves(node):
        if isinstance(leaf, Term):
            yield leaf.field, leaf.text
        elif isinstance(leaf, Phrase):
            for word in leaf.words:
                yield leaf.field, word


def describe(node: Node) -> str:
    """The tree as readable query syntax ("Search details")."""
    if isinstance(node, Term):
        return f"{node.field}:{node.text}" + (f"^{node.boost}" if node.boost != 1 else "")
    if isinstance(node, Phrase):
        return f'{node.field}:"{" ".join(node.words)}"'
    if isinstance(node, Prefix):
        return f"{node.field}:{node.text}*" + (f"^{node.boost}" if node.boost != 1 else "")
    if isinstance(node, Range):
        low = "" if node.low is None else node.low
        high = "" if node.high is None else node.high
        return f"{node.field}:[{low} TO {high}]"
    if isinstance(node, (Or, And)):
        joiner = " OR " if isinstance(node, Or) else " AND "
        text = "(" + joiner.join(describe(c) for c in node.children) + ")"
        return f"{text}>{node.minimum}" if isinstance(node, Or) and node.minimum else text
    if isinstance(node, DisMax):
        return "DisMax(" + " ".join(sorted(describe(c) for c in node.children)) + ")"
    if isinstance(node, AndNot):
        return f"({describe(node.positive)} ANDNOT {describe(node.negative)})"
    if isinstance(node, AndMaybe):
        return f"({describe(node.required)} ANDMAYBE {describe(node.optional)})"
    if isinstance(node, Every):
        return "*"
    return "<nothing>"
