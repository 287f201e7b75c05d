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
The posting sources: search/xapian/sources.py. The match set (totals, facet counts) comes from
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

import math
from itertools import combinations

import numpy as np
import xapian

from search import fields as f
from search import querytree as qt
from search.errors import InvalidRequest
from search.scoring import BM25_B, BM25_K1, idf
from search.xapian.matching import (
    NOTHING,
    boolean,
    conjunction,
    hoisted,
    matcher,
    nodes,
    some_of,
    value_range,
)
from search.xapian.schema import (
    CONSTANT_FIELDS,
    LENGTH_SLOTS,
    NUMBER_SLOTS,
    TF_MARK,
    TF_PREFIX,
    WDF_SCALE,
    term,
)
from search.xapian.sources import SOURCE_SCALE, Sources
from search.xapian.typestats import TypeCounts

MAX_COUNTED = 5_000  # terms whose count terms' queries are kept per database
Counted = tuple[xapian.Query, list[tuple[int, xapian.Query]]]


def weighting(k1: float = BM25_K1, b: float = BM25_B) -> xapian.BM25Weight:
    """Xapian's BM25 with our constants (k1 in units of wdf, no query-length part)."""
    return xapian.BM25Weight(k1 * WDF_SCALE, 0.0, 1.0, b, 0.0)


def xapian_idf(doc_count: int, doc_frequency: int) -> float:
    """The idf Xapian's BM25Weight uses (without a relevance set)."""
    tw = (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5)
    if tw < 2:
        tw = max(tw, 1e-6) / 2 + 1
    return math.log(tw)


def scaled(query: xapian.Query, factor: float) -> xapian.Query:
    return query if factor == 1.0 else xapian.Query(xapian.Query.OP_SCALE_WEIGHT, query, factor)


class Translator:
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
        self.types = TypeCounts(db, self.sources.kinds) if per_type else None
        self.max_expanded = max_expanded
        self._expanded: dict[tuple[str, str], list[str]] = {}  # this search's prefixes' words
        self.k1_factor = (k1 + 1) / (k1 * WDF_SCALE + 1)
        self._counted: dict[str, Counted] = {}  # term -> its count terms (TF_PREFIX)
        self._kind: str | None = None  # the record type being translated for (None: any)
        self._holds: dict[tuple[str, str], bool] = {}  # (field, type) -> has a record of it

    def reset(self) -> None:
        """Forget the prefixes and sources of earlier queries (call before a search, under
        the lock)."""
        self.sources.reset()
        self._expanded.clear()

    def constant(self, score: float, query: xapian.Query | None = None) -> xapian.Query:
        """`score` for every document `query` matches (every document when None)."""
        fixed = self.sources.constant(score)
        return fixed if query is None else xapian.Query(xapian.Query.OP_FILTER, fixed, query)

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
        self._kind = kind
        self.sources.within(within)
        try:
            parts = hoisted(qt.And((node,))) if filtered is not None else None
            return self.node(node) if parts is None else self.maybe(*parts, filtered=filtered)
        finally:
            self.sources.within(None)

    def _absent(self, field: str) -> bool:
        """Whether no record of the translated type (if any) has the field."""
        if self._kind is None or field not in LENGTH_SLOTS:
            return False
        key = (field, self._kind)
        found = self._holds.get(key)
        if found is None:
            q = xapian.Query
            has = q(q.OP_VALUE_GE, LENGTH_SLOTS[field], b"1")  # a length from 1 (not "0")
            enquire = xapian.Enquire(self.db)
            enquire.set_query(q(q.OP_FILTER, has, q(term(f.TYPE, self._kind))))
            enquire.set_weighting_scheme(xapian.BoolWeight())
            found = self._holds[key] = bool(enquire.get_mset(0, 1).size())
        return not found

    def term(self, field: str, text: str, boost: float) -> xapian.Query:
        key = term(field, text)
        if self._absent(field):
            return NOTHING
        if field in CONSTANT_FIELDS:
            return self.constant(boost, xapian.Query(key))
        n = self.db.get_termfreq(key)
        if not n:
            return xapian.Query(key)  # matches nothing; scaled or not
        total = self.db.get_doccount()
        weight = idf(total, n)
        if self.types and self._kind is not None:  # that of the documents of the kind
            count, df = self.types.of(self._kind, key, n)
            if not df:
                return xapian.Query(key)  # no document of the kind holds it
            weight = idf(count, df)
        return self.scored(field, key, weight * boost, n, total)

    def scored(self, field: str, key: str, weight: float, n: int, total: int) -> xapian.Query:
        """The documents holding `key` (`n` of `total`), scored BM25 with this idf x boost."""
        if field not in LENGTH_SLOTS:  # ALL: Xapian's BM25 on the section-weighted wdf
            factor = weight / xapian_idf(total, n) * self.k1_factor
            return scaled(xapian.Query(key), factor)
        q = xapian.Query
        # documents where the word occurs more than once in the field carry a count term
        once, counted = self._counted.get(key) or self._count_terms(key)
        factor = weight / SOURCE_SCALE
        lengths, kind = self.sources.length, self._kind
        parts = [scaled(q(q.OP_FILTER, lengths(field, 1, kind, (key, WDF_SCALE)), once), factor)]
        for wdf, only in counted:
            source = lengths(field, wdf / WDF_SCALE, kind, (key, wdf))
            parts.append(scaled(q(q.OP_FILTER, source, only), factor))
        return parts[0] if len(parts) == 1 else q(q.OP_OR, parts)

    def _count_terms(self, key: str) -> Counted:
        """The documents holding `key` once (unscored), and each other wdf with its count
        term's query; kept for MAX_COUNTED terms (then forgotten at once)."""
        q = xapian.Query
        terms = [t.term for t in self.db.allterms(TF_PREFIX + key + TF_MARK)]
        counted = [(int(t.rpartition(TF_MARK.encode())[2]), q(t)) for t in terms]
        once = q(key)
        if counted:
            once = q(q.OP_AND_NOT, once, q(q.OP_OR, [only for _, only in counted]))
        if len(self._counted) >= MAX_COUNTED:
            self._counted.clear()
        self._counted[key] = once, counted
        return once, counted

    def expand(self, node: qt.Prefix) -> list[str]:
        """The index terms a prefix stands for; InvalidRequest when it, or the prefixes of this
        search together (since `reset`), stand for more than `max_expanded` (MeSH tree
        prefixes exempt), with the Whoosh backend's sentences."""
        key = (node.field, node.text)
        words = self._expanded.get(key)
        if words is not None:
            return words
        pre, limit = term(node.field, ""), self.max_expanded
        exempt = node.field == f.MESH_TREE
        words = []
        for item in self.db.allterms(pre + node.text):
            if len(words) == limit and not exempt:
                raise InvalidRequest(
                    f"{node.text[:40]}* matches more than {limit:,} different words: type more "
                    "letters before the *."
                )
            words.append(item.term.decode("utf-8")[len(pre) :])
        self._expanded[key] = words
        used = sum(len(w) for (field, _), w in self._expanded.items() if field != f.MESH_TREE)
        if used > limit:
            raise InvalidRequest(
                f"The prefixes of this query match more than {limit:,} different words "
                "together: use fewer of them, or more letters."
            )
        return words

    def check(self, tree: qt.Node) -> None:
        """InvalidRequest when translating `tree` would be refused (its prefixes' words)."""
        self.reset()
        for node in nodes(tree):
            if isinstance(node, qt.Prefix) and not node.constant:
                self.expand(node)

    def prefix(self, node: qt.Prefix) -> xapian.Query:
        """The index terms the prefix stands for, each scored as a Term, OR'ed."""
        words = [self.term(node.field, w, node.boost) for w in self.expand(node)]
        if not words:
            return NOTHING
        return words[0] if len(words) == 1 else xapian.Query(xapian.Query.OP_OR, words)

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
        x = scored[0] if len(scored) == 1 else q(q.OP_AND, scored)
        matches = conjunction(self, required)
        if filtered is not None:
            x, matches = q(q.OP_FILTER, x, filtered), q(q.OP_FILTER, matches, filtered)
        if negated:
            out = q(q.OP_OR, [boolean(self, n) for n in negated])
            x, matches = q(q.OP_AND_NOT, x, out), q(q.OP_AND_NOT, matches, out)
        extra = [self.node(n) for n in optional]
        y = extra[0] if len(extra) == 1 else q(q.OP_OR, extra)
        x_or_y = q(q.OP_OR, [q(q.OP_SCALE_WEIGHT, x, 1.0), q(q.OP_FILTER, y, matches)])
        return q(q.OP_SCALE_WEIGHT, x_or_y, 1.0)

    def node(self, node: qt.Node) -> xapian.Query:  # noqa: C901 - one branch per node type
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
            terms = [q(term(node.field, w)) for w in node.words]
            phrase = q(q.OP_PHRASE, terms, window)
            # the phrase decides the match; its words' scores are the score
            return q(q.OP_AND, [scaled(phrase, 0.0), *words])
        if isinstance(node, qt.Prefix):
            if node.constant:  # MeSH explode: a branch's tree numbers, boolean, any number
                return self.constant(node.boost, q(q.OP_WILDCARD, term(node.field, node.text)))
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
            joined = children[0] if len(children) == 1 else q(op, children)
            if isinstance(node, qt.Or) and some_of(node):  # matching `minimum` of them
                plain = [boolean(self, c) for c in node.children]
                subsets = [q(q.OP_AND, list(c)) for c in combinations(plain, node.minimum)]
                joined = q(q.OP_FILTER, joined, q(q.OP_OR, subsets))  # scored as the OR
            return scaled(joined, node.boost)
        if isinstance(node, qt.AndNot):
            return q(q.OP_AND_NOT, self.node(node.positive), self.node(node.negative))
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
            return q(q.OP_MAX, [q(q.OP_SCALE_WEIGHT, c, 1.0) for c in children])
        if isinstance(node, qt.Every):
            return self.constant(node.boost)
        return NOTHING
