"""The neutral query tree (search/querytree.py) as a xapian.Query, scored by its contract.

Xapian's BM25 is used with k1 scaled by WDF_SCALE (wdf is WDF_SCALE x the section-weighted
term frequency, so k1 x WDF_SCALE is the same saturation) and no minimum normalized length.
Each term leaf is then scaled (OP_SCALE_WEIGHT) so that its score is search/scoring.py's BM25
exactly: our Robertson idf instead of Xapian's, and (k1 + 1) instead of (k1 x WDF_SCALE + 1).
The terms of the other fields (title:, mesh_ui:...) score BM25 normalized by that field's own
length in the document, as on Whoosh: a ValueMapPostingSource maps the field's length (a value
slot) to the saturated tf of one occurrence, filtered by the term and scaled by its idf (a word
repeated within one field counts once there). Constant scores (prefixes, ranges, id and type
terms, Every) come from a FixedWeightPostingSource filtered by the match.
The leaves (terms, field words, prefixes): search/xapian/words.py; the posting sources:
search/xapian/sources.py. The match set (totals, facet counts) comes from
`boolean` (search/xapian/matching.py), the same tree without scores and without sources.

No translation holds an OP_AND_MAYBE, so every ranking may prune (get_mset's check_at_least
left at its default): Xapian 1.4.26 segfaults pruning an OP_MAX (DisMax) under OP_AND_MAYBE
(the full data: "Institute Alcohol Abuse Alcoholism"; bench/prune_check.py). "X AND_MAYBE Y"
is sent as "X OR (Y FILTER X')", X' the matches of X unscored: the same matches (those of X)
with the same scores (X's, plus Y's where Y matches too: a sum of the same two numbers); X
scaled by 1 so that an OR in it stays whole (Xapian would merge its children into the new OR
and add its scores in another order). An "m of n" sends its match set as a FILTER.

With `per_type` (the default), a tree translated for one record type (the ranked query is one
translation per type, each filtered by its type term: search/xapian/listing.py) scores each
term with the idf of that type's documents (search/xapian/typestats.py). Average lengths stay
the whole index's (Xapian's BM25 has one per database); the Whoosh backend has both per type.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import xapian

from search import querytree as qt
from search.scoring import BM25_B, BM25_K1
from search.xapian.docweights import DocWeights
from search.xapian.matching import (
    NOTHING,
    boolean,
    conjunction,
    hoisted,
    made,
    matcher,
    nodes,
    some_of,
    value_range,
)
from search.xapian.schema import (
    NUMBER_SLOTS,
    WDF_SCALE,
    term,
)
from search.xapian.sources import Sources
from search.xapian.typestats import TypeCounts
from search.xapian.words import Counted, Words, scaled


def weighting(k1: float = BM25_K1, b: float = BM25_B) -> xapian.BM25Weight:
    """Xapian's BM25 with our constants (k1 in units of wdf, no query-length part)."""
    return xapian.BM25Weight(k1 * WDF_SCALE, 0.0, 1.0, b, 0.0)


class Translator(Words):
    """Translates trees against one database (term statistics decide each leaf's factor)."""

    def __init__(
        self,
        db: xapian.Database,
        k1: float = BM25_K1,
        b: float = BM25_B,
        max_expanded: int = qt.MAX_EXPANDED_TERMS,
        per_type: bool = True,
    ) -> None:
        self.db = db
        self.k1, self.b = k1, b
        self.sources = Sources(db, k1, b)
        self.docs = DocWeights(self.sources)
        self.types = TypeCounts(db, self.sources.kinds) if per_type else None
        self.max_expanded = max_expanded
        self._expanded: dict[tuple[str, str], list[str]] = {}  # this search's prefixes' words
        self.k1_factor = (k1 + 1) / (k1 * WDF_SCALE + 1)
        self._counted: dict[str, Counted] = {}  # term -> its count terms (TF_PREFIX)
        self._kind: str | None = None  # the record type being translated for (None: any)
        self._holds: dict[tuple[str, str], bool] = {}  # (field, type) -> has a record of it
        self._within: np.ndarray | None = None  # the mask ranked within (None: any document)
        # this search's translations: (node, type, mask) -> the scored query (see `node`)
        self._memo: dict[tuple[int, str | None, int, int], tuple[object, object, xapian.Query]] = {}
        self._negated = 0  # how many NOTs the node being translated is under
        self._parts: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
        self._pruned: dict[tuple[str, frozenset[int]], Counted] = {}  # this search's

    def reset(self) -> None:
        """Forget the prefixes and sources of earlier queries (call before a search, under
        the lock)."""
        self.sources.reset()
        self.docs.reset()
        self._expanded.clear()
        self._memo.clear()
        self._parts.clear()
        self._pruned.clear()

    def warm(self) -> None:
        """Read now what a ranking reads on first use (the fields' lengths, the record ids)."""
        self.sources.warm()
        if self.docs.single:
            self.docs.ids()

    def part(self, within: np.ndarray, kind: str, of_kind: np.ndarray) -> np.ndarray:
        """`within & of_kind` (the documents of `kind` ranked): the same array for the same
        `within` and kind during a search, so that a tree ranked twice within it (the feedback's
        first ranking, then the ranking with the feedback clause) is translated once."""
        key = (id(within), kind)
        found = self._parts.get(key)
        if found is None or found[0] is not within:
            found = self._parts[key] = (within, within & of_kind)
        return found[1]

    def __call__(
        self,
        node: qt.Node,
        kind: str | None = None,
        within: np.ndarray | None = None,
        filtered: xapian.Query | None = None,
    ) -> xapian.Query:
        """The scored query of a tree; `kind`: only for records of this type (the words of a
        field no record of that type has are left out: each costs Xapian a copy of its
        source); `within`: only ranked within this mask (search/xapian/sources.py); `filtered`:
        the unscored filter the caller ANDs the query with, unscaled (a type term), which
        then joins the AND of a top AndMaybe's required parts, as Xapian joins them."""
        self._kind, self._within = kind, within
        self.sources.within(within)
        try:
            parts = hoisted(qt.And((node,))) if filtered is not None else None
            return self.node(node) if parts is None else self.maybe(*parts, filtered=filtered)
        finally:
            self.sources.within(None)
            self._within = None

    def check(self, tree: qt.Node) -> None:
        """InvalidRequest when translating `tree` would be refused (its prefixes' words)."""
        self.reset()
        for node in nodes(tree):
            if isinstance(node, qt.Prefix) and not node.constant:
                self.expand(node)

    def maybe(
        self,
        required: list[qt.Node],
        negated: list[qt.Node],
        optional: list[qt.Node],
        filtered: xapian.Query | None = None,
    ) -> xapian.Query:
        """The documents of every `required` and none of `negated` (and of `filtered`,
        unscored), scored as the required, plus the score of the `optional` (OR'ed) where
        they match too: "X OR (Y FILTER X')", X' unscored, no OP_AND_MAYBE (see the module's
        docstring); kept whole (x1) in an OR above it, as Xapian keeps an OP_AND_MAYBE."""
        q = xapian.Query
        scored = [self.node(n) for n in required]
        x = scored[0] if len(scored) == 1 else made(q.OP_AND, scored)
        matches = conjunction(self, required)
        if filtered is not None:
            x, matches = made(q.OP_FILTER, x, filtered), made(q.OP_FILTER, matches, filtered)
        if negated:
            out = made(q.OP_OR, [boolean(self, n) for n in negated])
            x, matches = made(q.OP_AND_NOT, x, out), made(q.OP_AND_NOT, matches, out)
        extra = [self.node(n) for n in optional]
        y = extra[0] if len(extra) == 1 else made(q.OP_OR, extra)
        x_or_y = made(q.OP_OR, [made(q.OP_SCALE_WEIGHT, x, 1.0), made(q.OP_FILTER, y, matches)])
        return made(q.OP_SCALE_WEIGHT, x_or_y, 1.0)

    def node(self, node: qt.Node) -> xapian.Query:
        """The scored query of a node, translated once per search for each type and mask
        (the same objects: the memo keeps them, as it keeps the sources until `reset`)."""
        key = (id(node), self._kind, id(self._within), self._negated)
        found = self._memo.get(key)
        if found is not None and found[0] is node and found[1] is self._within:
            return found[2]
        query = self._node(node)
        self._memo[key] = (node, self._within, query)
        return query

    def _node(self, node: qt.Node) -> xapian.Query:  # noqa: C901 - one branch per node type
        q = xapian.Query
        if isinstance(node, qt.Term):
            if node.field in NUMBER_SLOTS:  # year:1979 has no term: a range of one number
                number = int(node.text)
                return self.node(qt.Range(node.field, number, number, node.boost))
            return self.term(node.field, node.text, node.boost)
        if isinstance(node, qt.Phrase):
            if self._absent(node.field):
                return NOTHING
            words = [self.term(node.field, w, node.boost) for w in node.words]
            if len(words) == 1:
                return words[0]
            window = len(node.words) + (len(node.words) - 1) * (node.slop - 1)
            terms = [made(term(node.field, w)) for w in node.words]
            phrase = made(q.OP_PHRASE, terms, window)
            # the phrase decides the match; its words' scores are the score
            return made(q.OP_AND, [scaled(phrase, 0.0), *words])
        if isinstance(node, qt.Prefix):
            if node.constant:  # MeSH explode: a branch's tree numbers, boolean, any number
                return self.constant(node.boost, made(q.OP_WILDCARD, term(node.field, node.text)))
            return self.prefix(node)
        if isinstance(node, qt.Range):
            return self.constant(node.boost, value_range(node))
        if isinstance(node, qt.And) and (parts := hoisted(node)) is not None:
            return scaled(self.maybe(*parts), node.boost)
        if isinstance(node, qt.Or) and node.boost == 0.0 and some_of(node):
            return matcher(boolean(self, node))  # an "m of n"'s matches, unscored (hoisted)
        if isinstance(node, (qt.Or, qt.And)):
            op = q.OP_OR if isinstance(node, qt.Or) else q.OP_AND
            children = [self.node(c) for c in node.children]
            if not children:
                return NOTHING
            joined = children[0] if len(children) == 1 else made(op, children)
            if isinstance(node, qt.Or) and some_of(node):  # matching `minimum` of them
                plain = [boolean(self, c) for c in node.children]
                subsets = [made(q.OP_AND, list(c)) for c in combinations(plain, node.minimum)]
                joined = made(q.OP_FILTER, joined, made(q.OP_OR, subsets))  # scored as the OR
            return scaled(joined, node.boost)
        if isinstance(node, qt.AndNot):
            positive = self.node(node.positive)
            self._negated += 1
            try:
                return made(q.OP_AND_NOT, positive, self.node(node.negative))
            finally:
                self._negated -= 1
        if isinstance(node, qt.AndMaybe):
            return self.maybe([node.required], [], [node.optional])
        if isinstance(node, qt.DisMax):
            children = [self.node(c) for c in node.children]
            if not children:
                return NOTHING
            if len(children) == 1:
                return children[0]
            # Xapian 1.4.26 scores an OP_OR child of OP_MAX as the best of ITS children, not
            # their sum (tests/test_xapian.py); an explicit x1 scale keeps the child whole.
            return made(q.OP_MAX, [made(q.OP_SCALE_WEIGHT, c, 1.0) for c in children])
        if isinstance(node, qt.Every):
            return self.constant(node.boost)
        return NOTHING
