"""The unscored side of the Xapian translation: what a query tree (search/querytree.py)
matches, as a xapian.Query without weights or posting sources (the match set: totals, facet
counts, the partial matches' exclusion, the filter of an optional clause), and the tests on a
tree the engine decides by (an "m of n" too wide to send). The scored side:
search/xapian/query.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from itertools import combinations
from typing import Any, Protocol

import xapian

from search import querytree as qt
from search.errors import InvalidRequest
from search.xapian.schema import NUMBER_SLOTS, term

NOTHING = xapian.Query.MatchNothing
MAX_COMBINATIONS = 256  # "m of n children" as an OR of ANDs up to this many; beyond: masks
# The bindings' xapian.Query() lists in Python the posting sources of every subquery (`_ps`,
# to keep them alive with the query): a third of a Query's cost, ~2% of a warm search's CPU.
# The translation's sources are kept alive by their translator (search/xapian/sources.py
# Sources, docweights.py DocWeights) until the next search's `reset`, so its queries are made
# by the constructor alone (`made`); the bindings' own Query where that is not found.
_INIT = vars(xapian).get("__query_init_orig")
NumberRange = tuple[str, int | None, int | None]  # (field, low, high): None, open


def made(*args: Any) -> xapian.Query:
    """xapian.Query(*args) without the bindings' note of its posting sources (see _INIT)."""
    if _INIT is None:
        return xapian.Query(*args)
    query = xapian.Query.__new__(xapian.Query)
    _INIT(query, *args)
    return query


class Expander(Protocol):
    """What `boolean` asks of the translator: the words a prefix stands for."""

    def expand(self, node: qt.Prefix) -> list[str]: ...


def nodes(node: qt.Node) -> Iterator[qt.Node]:
    """Every node of a tree."""
    yield node
    if isinstance(node, (qt.Or, qt.And, qt.DisMax)):
        for child in node.children:
            yield from nodes(child)
    elif isinstance(node, qt.AndNot):
        yield from nodes(node.positive)
        yield from nodes(node.negative)
    elif isinstance(node, qt.AndMaybe):
        yield from nodes(node.required)
        yield from nodes(node.optional)


def needs_masks(tree: qt.Node) -> bool:
    """Whether the tree has an "m of n" too wide for an OR of ANDs (the engine then computes
    the match set from its leaves and ranks within it)."""
    return any(
        isinstance(n, qt.Or)
        and 0 < n.minimum < len(n.children)
        and math.comb(len(n.children), n.minimum) > MAX_COMBINATIONS
        for n in nodes(tree)
    )


def value_range(node: qt.Range) -> xapian.Query:
    """The documents whose number in the field is within the range (unscored)."""
    q = xapian.Query
    slot = NUMBER_SLOTS.get(node.field)
    if slot is None:
        raise InvalidRequest(f"{node.field} has no numbers to search a range of.")
    low = xapian.sortable_serialise(node.low) if node.low is not None else None
    high = xapian.sortable_serialise(node.high) if node.high is not None else None
    if low is not None and high is not None:
        return made(q.OP_VALUE_RANGE, slot, low, high)
    if low is not None:
        return made(q.OP_VALUE_GE, slot, low)
    if high is not None:
        return made(q.OP_VALUE_LE, slot, high)
    return made(q.OP_VALUE_GE, slot, b"")


def boolean(translator: Expander, node: qt.Node) -> xapian.Query:  # noqa: C901
    """What `translator(node)` matches, without scores: terms, phrases and ranges alone, no
    posting source (Xapian copies a source's weights for each use: the match set of a query
    with many fielded words cost more than its ranking)."""
    q = xapian.Query
    if isinstance(node, qt.Term):
        if node.field in NUMBER_SLOTS:
            return value_range(qt.Range(node.field, int(node.text), int(node.text)))
        return made(term(node.field, node.text))
    if isinstance(node, qt.Phrase):
        terms = [made(term(node.field, w)) for w in node.words]
        if len(terms) == 1:
            return terms[0]
        window = len(node.words) + (len(node.words) - 1) * (node.slop - 1)
        return made(q.OP_PHRASE, terms, window)
    if isinstance(node, qt.Prefix):
        if node.constant:
            return made(q.OP_WILDCARD, term(node.field, node.text))
        words = [made(term(node.field, w)) for w in translator.expand(node)]
        return made(q.OP_OR, words) if words else NOTHING
    if isinstance(node, qt.Range):
        return value_range(node)
    if isinstance(node, qt.And):
        return conjunction(translator, node.children)
    if isinstance(node, qt.Or):
        parts = node.children if node.minimum > 1 else unphrased(node)
        children = [boolean(translator, c) for c in parts]
        if not children:
            return NOTHING
        minimum = node.minimum
        if 1 < minimum < len(children) and math.comb(len(children), minimum) <= MAX_COMBINATIONS:
            return made(q.OP_OR, [made(q.OP_AND, list(c)) for c in combinations(children, minimum)])
        return children[0] if len(children) == 1 else made(q.OP_OR, children)
    if isinstance(node, qt.AndNot):
        return made(
            q.OP_AND_NOT, boolean(translator, node.positive), boolean(translator, node.negative)
        )
    if isinstance(node, qt.AndMaybe):
        return boolean(translator, node.required)
    if isinstance(node, qt.DisMax):
        children = [boolean(translator, c) for c in unphrased(node)]
        return made(q.OP_OR, children) if children else NOTHING
    if isinstance(node, qt.Every):
        return q.MatchAll
    return NOTHING


def conjunction(translator: Expander, parts: Sequence[qt.Node]) -> xapian.Query:
    """What every one of `parts` matches, unscored: their AND. A numeric range (year:A..B)
    beside an any-of holding a phrase is AND'ed with each of that any-of's children instead
    (the same matches): Xapian 1.4.26 took 36 ms for "(evaluation words and phrases) AND
    year:1977..1981" on the full data (it checked the phrase for each document of the range)
    and 3 ms for the OR of each child AND the range (bench/REPORT.md, Session 8)."""
    q = xapian.Query
    ranges = [p for p in parts if number_range(p) is not None]
    spread = bool(ranges) and any(_phrased(p) for p in parts)
    if spread:
        found = [boolean(translator, r) for r in ranges]
        within = found[0] if len(found) == 1 else made(q.OP_AND, found)
        parts = [p for p in parts if number_range(p) is None]
    children = [
        _spread(translator, p, within) if spread and _phrased(p) else boolean(translator, p)
        for p in parts
    ]
    if not children:
        return NOTHING
    return children[0] if len(children) == 1 else made(q.OP_AND, children)


def _phrased(node: qt.Node) -> bool:
    """Whether the node is an any-of (Or of at most one, DisMax) holding a phrase of words."""
    if not isinstance(node, (qt.Or, qt.DisMax)) or (isinstance(node, qt.Or) and node.minimum > 1):
        return False
    return any(isinstance(n, qt.Phrase) and len(n.words) > 1 for n in nodes(node))


def _spread(translator: Expander, node: qt.Node, within: xapian.Query) -> xapian.Query:
    """What `node` matches within `within`: an any-of as the OR of its children's, each
    AND'ed with `within` (conjunction)."""
    q = xapian.Query
    if _phrased(node):
        assert isinstance(node, (qt.Or, qt.DisMax))
        children = [_spread(translator, c, within) for c in unphrased(node)]
        if not children:
            return NOTHING
        return children[0] if len(children) == 1 else made(q.OP_OR, children)
    return made(q.OP_AND, boolean(translator, node), within)


def ranged(
    translator: Expander, tree: qt.Node, at_most: int
) -> tuple[xapian.Query, tuple[NumberRange, ...]]:
    """`tree`'s unscored query and the numeric ranges a count server takes from its arrays:
    an And's ranges (year:A..B) apart from its other parts (ranges_apart), as one database
    matches them (search/xapian/matchsets.py `_ranged`: Xapian 1.4.26 checks a range for every
    document of an OR holding a phrase; "properties drug year:1975..1979" at 10x: ~210 ms of a
    count server's CPU); at most `at_most` ranges (more: none apart)."""
    ranges, rest = ranges_apart(tree)
    if ranges and rest is not None and len(ranges) <= at_most:
        return boolean(translator, rest), ranges
    return boolean(translator, tree), ()


def ranges_apart(tree: qt.Node) -> tuple[tuple[NumberRange, ...], qt.Node | None]:
    """A tree's numeric ranges (year:A..B) apart from the rest of it, as the match sets and the
    count servers take them from their arrays: an And's ranges among its children, and its
    other children as one node (the child alone, or their And; None when every child is a
    range); a range alone: its range and None; any other tree (its ranges under an Or, or
    deeper than an And's children): no range, and the tree."""
    if isinstance(tree, qt.And):
        ranges = tuple(r for c in tree.children if (r := number_range(c)) is not None)
        if not ranges:
            return (), tree
        rest = tuple(c for c in tree.children if number_range(c) is None)
        if not rest:
            return ranges, None
        return ranges, rest[0] if len(rest) == 1 else qt.And(rest)
    if (found := number_range(tree)) is not None:
        return (found,), None
    return (), tree


def number_range(node: qt.Node) -> NumberRange | None:
    """(field, low, high) of a numeric range (year:1979 is year:1979..1979); None otherwise."""
    if isinstance(node, qt.Range) and node.field in NUMBER_SLOTS:
        return node.field, node.low, node.high
    if isinstance(node, qt.Term) and node.field in NUMBER_SLOTS:
        number = int(node.text)
        return node.field, number, number
    return None


def unphrased(node: qt.Or | qt.DisMax) -> tuple[qt.Node, ...]:
    """The children of an any-of without the phrases that match no document another child
    does not: a phrase holding a word that is a child itself (or one of a child's plain words
    of the same field), as the MeSH expansions add "evaluation studies as topic" beside
    "evaluation". Checking a phrase reads positions: the match set of "evaluation equations
    independent year:1977..1981" on the full data took 25 ms."""
    words = set()
    for child in node.children:
        leaves = child.children if isinstance(child, qt.Or) and child.minimum <= 1 else (child,)
        words.update((c.field, c.text) for c in leaves if isinstance(c, qt.Term))
    return tuple(
        c
        for c in node.children
        if not (isinstance(c, qt.Phrase) and any((c.field, w) in words for w in c.words))
    )


def hoisted(node: qt.And) -> tuple[list[qt.Node], list[qt.Node], list[qt.Node]] | None:
    """What Xapian makes of an OP_AND holding an OP_AND_MAYBE (its AndContext): every required
    part (through the And, AndNot and AndMaybe children, not through a scaled And) AND'ed,
    the negated parts taken out, the optional parts OR'ed and added to the AND's score, in the
    order Xapian adds them. (required, negated, optional); None when there is no AndMaybe."""
    required: list[qt.Node] = []
    negated: list[qt.Node] = []
    optional: list[qt.Node] = []

    def gather(n: qt.Node, top: bool = False) -> None:
        if isinstance(n, qt.AndMaybe):
            gather(n.required)
            optional.append(n.optional)
        elif isinstance(n, qt.AndNot):
            gather(n.positive)
            negated.append(n.negative)
        elif isinstance(n, qt.And) and n.children and (top or n.boost == 1.0):
            for child in n.children:
                gather(child)
        elif isinstance(n, qt.Or) and n.boost == 1.0 and some_of(n):
            required.append(qt.Or(n.children, 0.0, n.minimum))  # its matches, unscored
            optional.append(qt.Or(n.children))  # was "matches AND_MAYBE OR(children)"
        else:
            required.append(n)

    gather(node, top=True)
    return (required, negated, optional) if optional else None


def some_of(node: qt.Or) -> bool:
    """Whether the Or is an "m of n" sent as its OR filtered by an OR of ANDs."""
    n, m = len(node.children), node.minimum
    return 1 < m < n and math.comb(n, m) <= MAX_COMBINATIONS


def matcher(query: xapian.Query) -> xapian.Query:
    """The same matches without scores (for the match set: facet counts, totals)."""
    return made(xapian.Query.OP_SCALE_WEIGHT, query, 0.0)
