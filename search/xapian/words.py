"""The leaves of the Xapian translation (search/xapian/query.py's Translator takes this in):
a term's scored query (its idf per record type, a field word's sources per wdf and the count
terms of its wdfs), the words a prefix stands for, a constant score.
"""

from __future__ import annotations

import math

import xapian

from search import fields as f
from search import querytree as qt
from search.errors import InvalidRequest
from search.scoring import idf
from search.xapian.docweights import DocWeights
from search.xapian.matching import NOTHING, made
from search.xapian.schema import CONSTANT_FIELDS, LENGTH_SLOTS, TF_MARK, TF_PREFIX, WDF_SCALE, term
from search.xapian.sources import SOURCE_SCALE, Sources
from search.xapian.typestats import TypeCounts

MAX_COUNTED = 5_000  # terms whose count terms' queries are kept per database
Counted = tuple[xapian.Query, list[tuple[int, xapian.Query]]]


def xapian_idf(doc_count: int, doc_frequency: int) -> float:
    """The idf Xapian's BM25Weight uses (without a relevance set)."""
    tw = (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5)
    if tw < 2:
        tw = max(tw, 1e-6) / 2 + 1
    return math.log(tw)


def scaled(query: xapian.Query, factor: float) -> xapian.Query:
    return query if factor == 1.0 else made(xapian.Query.OP_SCALE_WEIGHT, query, factor)


class Words:
    """The leaves half of Translator (its state and settings are the translator's)."""

    db: xapian.Database
    sources: Sources
    docs: DocWeights
    types: TypeCounts | None
    max_expanded: int
    k1_factor: float
    _expanded: dict[tuple[str, str], list[str]]
    _counted: dict[str, Counted]
    _kind: str | None
    _holds: dict[tuple[str, str], bool]
    _negated: int
    _pruned: dict[tuple[str, frozenset[int]], Counted]

    def constant(self, score: float, query: xapian.Query | None = None) -> xapian.Query:
        """`score` for every document `query` matches (every document when None)."""
        fixed = self.sources.constant(score)
        return fixed if query is None else made(xapian.Query.OP_FILTER, fixed, query)

    def _absent(self, field: str) -> bool:
        """Whether no record of the translated type (if any) has the field."""
        if self._kind is None or field not in LENGTH_SLOTS:
            return False
        key = (field, self._kind)
        found = self._holds.get(key)
        if found is None:
            q = xapian.Query
            has = made(q.OP_VALUE_GE, LENGTH_SLOTS[field], b"1")  # a length from 1 (not "0")
            enquire = xapian.Enquire(self.db)
            enquire.set_query(made(q.OP_FILTER, has, made(term(f.TYPE, self._kind))))
            enquire.set_weighting_scheme(xapian.BoolWeight())
            found = self._holds[key] = bool(enquire.get_mset(0, 1).size())
        return not found

    def term(self, field: str, text: str, boost: float) -> xapian.Query:
        key = term(field, text)
        if self._absent(field):
            return NOTHING
        if field in CONSTANT_FIELDS:
            return self.constant(boost, made(key))
        n = self.sources.termfreq(key)
        if not n:
            return made(key)  # matches nothing; scaled or not
        total = self.db.get_doccount()
        weight = idf(total, n)
        if self.types and self._kind is not None:  # that of the documents of the kind
            if field in LENGTH_SLOTS and self.docs.single and not self.types.knows(key):
                # its postings are read for its sources (`scored`): counted per type from them
                found = self.sources.held(key)
                if found is not None:
                    self.types.read(key, found[0])
            count, df = self.types.of(self._kind, key, n)
            if not df:
                return made(key)  # no document of the kind holds it
            weight = idf(count, df)
        return self.scored(field, key, weight * boost, n, total)

    def scored(self, field: str, key: str, weight: float, n: int, total: int) -> xapian.Query:
        """The documents holding `key` (`n` of `total`), scored BM25 with this idf x boost."""
        if field not in LENGTH_SLOTS:  # ALL: Xapian's BM25 on the section-weighted wdf
            factor = weight / xapian_idf(total, n) * self.k1_factor
            return scaled(made(key), factor)
        q = xapian.Query
        # documents where the word occurs more than once in the field carry a count term
        once, counted = self._counted.get(key) or self._count_terms(key)
        # (not under a NOT: there the word's documents outside the ranked ones count too)
        present = self.sources.present(key) if counted and not self._negated else None
        factor = weight / SOURCE_SCALE
        if present is not None and not present <= {WDF_SCALE}:  # count terms would be used
            single = self.docs.query(field, key, self._kind, factor)  # docweights.py
            if single is not None:
                return scaled(made(q.OP_FILTER, single, made(key)), factor)
        if present is not None and not present.issuperset(wdf for wdf, _ in counted):
            once, counted = self._ranked_wdfs(key, counted, present)
        lengths, kind = self.sources.length, self._kind
        parts = [scaled(made(q.OP_FILTER, lengths(field, 1, kind, (key, WDF_SCALE)), once), factor)]
        for wdf, only in counted:
            source = lengths(field, wdf / WDF_SCALE, kind, (key, wdf))
            parts.append(scaled(made(q.OP_FILTER, source, only), factor))
        return parts[0] if len(parts) == 1 else made(q.OP_OR, parts)

    def _ranked_wdfs(
        self, key: str, counted: list[tuple[int, xapian.Query]], present: frozenset[int]
    ) -> Counted:
        """The count terms of the wdfs `key` has in the documents ranked (`present`), and
        the documents holding it but none of those (the once-query): the word matches the
        same documents, the ranked ones score the same, and the other wdfs' sources and count
        terms are left out (an `aside` word has dozens: "Institute Alcohol Abuse Alcoholism"
        on the full data ranked 179 documents with 522 of them)."""
        found = self._pruned.get((key, present))
        if found is None:
            q = xapian.Query
            kept = [(wdf, only) for wdf, only in counted if wdf in present]
            once = made(key)
            if kept:
                once = made(q.OP_AND_NOT, once, made(q.OP_OR, [only for _, only in kept]))
            found = self._pruned[(key, present)] = once, kept
        return found

    def _count_terms(self, key: str) -> Counted:
        """The documents holding `key` once (unscored), and each other wdf with its count
        term's query; kept for MAX_COUNTED terms (then forgotten at once)."""
        q = xapian.Query
        terms = [t.term for t in self.db.allterms(TF_PREFIX + key + TF_MARK)]
        counted = [(int(t.rpartition(TF_MARK.encode())[2]), made(t)) for t in terms]
        once = made(key)
        if counted:
            once = made(q.OP_AND_NOT, once, made(q.OP_OR, [only for _, only in counted]))
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

    def prefix(self, node: qt.Prefix) -> xapian.Query:
        """The index terms the prefix stands for, each scored as a Term, OR'ed."""
        words = [self.term(node.field, w, node.boost) for w in self.expand(node)]
        if not words:
            return NOTHING
        return words[0] if len(words) == 1 else made(xapian.Query.OP_OR, words)
