"""Matching and BM25F scoring of a Whoosh query over whole-index NumPy arrays.

Gives the same documents and scores as Whoosh's matchers with the engine's weighting (BM25F
with Robertson idf, the type prior, coordination; tests/test_ranking.py compares them on every
node type), in a few array operations per query node instead of a Python loop per posting:
a term's postings come from search/postings.py; Or adds, And intersects and adds, DisMax takes
the best alternative, AndNot excludes, a prefix, pattern or range of words is the union of its
words' postings. Nodes it has no array form for (wrapped constant scores...) are asked of
Whoosh's own matcher, which only walks the documents that match them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search import deadline
from search.scoring import TypeStats, saturated_tf
from search.whoosh.postings import Postings

PHRASE_CACHE = 256  # phrases whose verified documents are kept (2 bits a document each)
Scored = tuple[np.ndarray, np.ndarray]  # mask (bool, one per docnum), scores (float64)


@dataclass(frozen=True)
class Weights:
    """The ranking constants the arrays are scored with."""

    b: float
    k1: float
    coordination: float  # exponent p of (concepts matched / concepts)^p; 0 = off
    prior: float  # factor on the scores of `prior_docs` (MeSH definitions)
    per_type: bool = True  # idf and average lengths per record type (search/scoring.py)


class Ranker:
    """Evaluates queries for one searcher (one index version). Not thread-safe: the engine
    calls it under its lock."""

    def __init__(
        self,
        searcher: Searcher,
        postings: Postings,
        live: np.ndarray,
        prior_docs: np.ndarray,
        kinds: np.ndarray | None = None,
    ) -> None:
        """`kinds`: each document's record type as a small integer (search/scoring.py
        TypeStats); without it every document is of one kind."""
        self.searcher = searcher
        self.postings = postings
        self.size = postings.size
        self.live = live
        self.prior_docs = prior_docs
        kinds = np.zeros(self.size, dtype=np.int64) if kinds is None else kinds
        self.stats = TypeStats(kinds, live)
        self._scored: dict[tuple[str, bytes, float, float], Scored] = {}
        self._numbers: dict[str, list[tuple[int, bytes]]] = {}
        # phrase -> (documents verified, those that hold the phrase), kept across queries
        self._phrases: dict[tuple[str, tuple[str, ...], int], tuple[np.ndarray, np.ndarray]] = {}

    # -- whole queries ----------------------------------------------------------------------
    def match(self, q: wq.Query, weights: Weights) -> Scored:
        """Every live document matching `q` and its final score (prior and coordination
        applied, as TypedBM25F.final does)."""
        mask, scores = self._eval(q, weights)
        mask &= self.live
        scores = np.where(mask, scores, 0.0)
        if weights.prior != 1.0:
            scores = np.where(self.prior_docs, scores * weights.prior, scores)
        concepts = q.subqueries if isinstance(q, wq.Or) and len(q.subqueries) > 1 else []
        if concepts and weights.coordination:
            matched = sum(self._eval(c, weights)[0].astype(np.float64) for c in concepts)
            scores = scores * (matched / len(concepts)) ** weights.coordination
        return mask, scores

    @staticmethod
    def top(mask: np.ndarray, scores: np.ndarray, limit: int) -> np.ndarray:
        """Docnums of the best `limit` documents in `mask`, by score then docnum (Whoosh's
        order for equal scores)."""
        docs = np.flatnonzero(mask)
        if len(docs) > 4 * limit:  # keep the top `limit` plus everything tied with the last
            s = scores[docs]
            cut = np.partition(s, len(s) - limit)[len(s) - limit]
            docs = docs[s >= cut]
        order = np.lexsort((docs, -scores[docs]))
        return docs[order][:limit]

    # -- nodes ----------------------------------------------------------------------------
    def _eval(self, q: wq.Query, w: Weights) -> Scored:
        deadline.check()
        if isinstance(q, wq.Term):
            return self._term(q, w)
        if isinstance(q, wq.CompoundQuery) and len(q.subqueries) == 1:
            return self._eval(q.subqueries[0], w)  # Whoosh matches a lone child alone
        if isinstance(q, wq.DisjunctionMax) and not q.tiebreak:
            return self._dismax(q, w)
        if isinstance(q, wq.Or) and type(q) in (wq.Or,) and not q.scale:
            parts = [self._eval(c, w) for c in q.subqueries]
            if q.minmatch:  # minimum should match: documents matching that many children
                mask = np.add.reduce([m.astype(np.int32) for m, _ in parts]) >= q.minmatch
                return mask, np.where(mask, sum(s for _, s in parts), 0.0)
            return np.logical_or.reduce([m for m, _ in parts]), sum(s for _, s in parts)
        if type(q) is wq.And:
            parts = [self._eval(c, w) for c in q.subqueries]
            mask = np.logical_and.reduce([m for m, _ in parts])
            return mask, np.where(mask, sum(s for _, s in parts), 0.0)
        if isinstance(q, wq.AndNot):
            mask, scores = self._eval(q.a, w)
            mask = mask & ~self._eval(q.b, w)[0]
            return mask, np.where(mask, scores, 0.0)
        if isinstance(q, wq.Require):
            mask, scores = self._eval(q.a, w)
            mask = mask & self._eval(q.b, w)[0]
            return mask, np.where(mask, scores, 0.0)
        if isinstance(q, wq.AndMaybe):
            mask, scores = self._eval(q.a, w)
            _, extra = self._eval(q.b, w)
            return mask, np.where(mask, scores + extra, 0.0)
        if isinstance(q, wq.Phrase) and len(q.words) > 1:
            return self._phrase(q, w)
        if isinstance(q, wq.NumericRange) and q.constantscore:
            return self._numeric_range(q)
        if isinstance(q, wq.MultiTerm) and q.constantscore:
            return self._multiterm(q, w)
        if isinstance(q, wq.Every) and q.fieldname in (None, "", "*"):
            return self.live.copy(), np.where(self.live, float(q.boost), 0.0)
        if q is wq.NullQuery:
            return np.zeros(self.size, dtype=bool), np.zeros(self.size)
        return self._whoosh(q)

    def _term(self, q: wq.Term, w: Weights) -> Scored:
        schema = self.searcher.schema
        if q.fieldname not in schema:
            return np.zeros(self.size, dtype=bool), np.zeros(self.size)
        field = schema[q.fieldname]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return np.zeros(self.size, dtype=bool), np.zeros(self.size)
        key = (q.fieldname, btext, w.b, w.k1, w.per_type)
        hit = self._scored.get(key)
        if hit is None:
            docs, tf = self.postings.term(q.fieldname, btext)
            tf = tf.astype(np.float64)
            if field.scorable and w.per_type:
                lengths = self.postings.lengths(q.fieldname)
                tf = self.stats.bm25(q.fieldname, lengths, docs, tf, w.k1, w.b)
            elif field.scorable:
                text = btext.decode("utf-8") if isinstance(q.text, str) else btext
                idf = self.searcher.get_parent().idf(q.fieldname, text)
                avgfl = self.searcher.get_parent().avg_field_length(q.fieldname) or 1
                fl = self.postings.lengths(q.fieldname)[docs]
                tf = idf * saturated_tf(tf, fl, avgfl, w.k1, w.b)
            if len(self._scored) > 256:
                self._scored.clear()
            hit = self._scored[key] = (docs, tf)
        docs, scores = hit
        mask = np.zeros(self.size, dtype=bool)
        mask[docs] = True
        dense = np.zeros(self.size)
        dense[docs] = scores * q.boost if q.boost != 1.0 else scores
        return mask, dense

    def _dismax(self, q: wq.DisjunctionMax, w: Weights) -> Scored:
        """Each document's best alternative. Phrases go last: a phrase scores at most the sum
        of its words' scores, so where another alternative already scores that much its
        positions need not be read (same result, a fraction of the work)."""
        phrases = [c for c in q.subqueries if isinstance(c, wq.Phrase) and len(c.words) > 1]
        others = [c for c in q.subqueries if not any(c is p for p in phrases)]
        mask = np.zeros(self.size, dtype=bool)
        best = np.full(self.size, -np.inf)
        for child in others:
            m, s = self._eval(child, w)
            mask |= m
            best = np.maximum(best, np.where(m, s, -np.inf))
        for child in phrases:
            m, s = self._phrase(child, w, settled=best)
            mask |= m
            best = np.maximum(best, np.where(m, s, -np.inf))
        return mask, np.where(mask, best, 0.0)

    def _phrase(self, q: wq.Phrase, w: Weights, settled: np.ndarray | None = None) -> Scored:
        """Whoosh's SpanNear2 (ordered, mindist 1): documents where each word follows the
        previous one within `slop` positions, scored as the sum of the words' scores.
        `settled`: scores the caller keeps unless this phrase beats them; documents where the
        phrase cannot are left out unverified."""
        schema = self.searcher.schema
        field = schema[q.fieldname] if q.fieldname in schema else None
        if field is None or not field.format or not field.format.supports("positions"):
            return self._whoosh(q)
        parts = [self._term(wq.Term(q.fieldname, word), w) for word in q.words]
        mask = np.logical_and.reduce([m for m, _ in parts]) & self.live
        scores = sum(s for _, s in parts) * q.boost
        if settled is not None:
            mask &= scores > settled
        key = (q.fieldname, tuple(q.words), q.slop)
        checked, matched = self._phrases.pop(key, (None, None))
        if checked is None:
            checked = np.zeros(self.size, dtype=bool)
            matched = np.zeros(self.size, dtype=bool)
        docs = np.flatnonzero(mask & ~checked)  # candidates no earlier query verified
        if len(docs):
            found = [
                self.postings.positions(q.fieldname, field.to_bytes(word), docs) for word in q.words
            ]
            keep = []
            for i, d in enumerate(docs.tolist()):
                if i % 1024 == 0:
                    deadline.check()
                keep.append(_chained([f[d] for f in found], q.slop))
            checked[docs] = True
            matched[docs[np.asarray(keep, dtype=bool)]] = True
        if len(self._phrases) >= PHRASE_CACHE:
            self._phrases.pop(next(iter(self._phrases)))  # the least recently used
        self._phrases[key] = (checked, matched)
        mask &= matched
        return mask, np.where(mask, scores, 0.0)

    def _numeric_range(self, q: wq.NumericRange) -> Scored:
        """Documents with a value in the range (each scores the query's boost, as Whoosh's
        constant-score range does): the union of the full-precision terms inside it."""
        values = self._numbers.get(q.fieldname)
        if values is None:
            field = self.searcher.schema[q.fieldname]
            terms = field.sortable_terms(self.searcher.reader(), q.fieldname)
            values = self._numbers[q.fieldname] = [(field.from_bytes(t), t) for t in terms]
        mask = np.zeros(self.size, dtype=bool)
        for value, btext in values:
            if q.start is not None and (value < q.start or (q.startexcl and value == q.start)):
                continue
            if q.end is not None and (value > q.end or (q.endexcl and value == q.end)):
                continue
            mask[self.postings.term(q.fieldname, btext)[0]] = True
        return mask, np.where(mask, float(q.boost), 0.0)

    def _multiterm(self, q: wq.MultiTerm, w: Weights) -> Scored:
        """A prefix, pattern or range of words as Whoosh's constant-score matcher scores it:
        1.0 for every document holding one of its words (whatever the boost), or, when it
        stands for one word only, that word's score: the union of the words' postings."""
        schema = self.searcher.schema
        if q.fieldname not in schema:
            return np.zeros(self.size, dtype=bool), np.zeros(self.size)
        words = [t for t in q._btexts(self.searcher.reader()) if t]
        if len(words) == 1:
            text = schema[q.fieldname].from_bytes(words[0])
            return self._term(wq.Term(q.fieldname, text, boost=q.boost), w)
        mask = np.zeros(self.size, dtype=bool)
        for i, btext in enumerate(words):
            if i % 256 == 0:
                deadline.check()
            mask[self.postings.term(q.fieldname, btext)[0]] = True
        return mask, mask.astype(np.float64)

    def _whoosh(self, q: wq.Query) -> Scored:
        """Any other node: Whoosh's matcher, per segment, walked over its matches."""
        mask = np.zeros(self.size, dtype=bool)
        scores = np.zeros(self.size)
        context = self.searcher.context()
        for sub, offset in self.searcher.leaf_searchers():
            m = q.matcher(sub, context)
            docs, values = [], []
            while m.is_active():
                if len(docs) % 4096 == 0:
                    deadline.check()
                docs.append(m.id())
                values.append(m.score())
                m.next()
            if docs:
                idx = np.asarray(docs, dtype=np.int64) + offset
                mask[idx] = True
                scores[idx] = values
        return mask, scores


def _chained(positions: list[list[int]], slop: int) -> bool:
    """Whether some position of each word follows one of the previous word's by 1..slop."""
    reach = set(positions[0])
    for nxt in positions[1:]:
        reach = {p for p in nxt if any(1 <= p - r <= slop for r in reach)}
        if not reach:
            return False
    return True
