"""Related items' similar records ranked by Xapian (search/related_rank.py `rank` is the
neutral one, over the view's bitsets): one match scores every candidate exactly and counts
them, on the shards when the database is made of them, so the reader reads no posting list.

The candidates are those of `rank`: records of the wanted type sharing one of the record's
MeSH descriptors or holding `pool_min_match` of its leading key terms (the record itself and
the explicit links left out). Each scores

    MESH_SHARE x (weights of the shared descriptors / weights of the record's) (+ major bonus)
    + (1 - MESH_SHARE) x (BM25F of the key terms / its upper bound)

the descriptors' parts as constant weights (a FixedWeightPostingSource filtered by the
descriptor), the key terms' as Xapian's BM25 scaled to search/scoring.py's (as the search's
own ranking, search/xapian/query.py). `rank` computes that exact score only for the best
`rerank` x limit candidates of a cheaper estimate, since it reads postings in Python; here
every candidate has it, so the best are the best by the exact score, and the strong matches
are counted by it. The few reads that stay (the descriptors' frequencies among the wanted
type, which of them or of the leading words a record holds) are matches too: a document's
weight of 2**i for the i-th term tells which terms it holds (CoordWeight, exact sums).
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Sequence
from itertools import count, islice

import numpy as np
import xapian

from search import fields as f
from search.bitsets import bits_to_mask, iter_bits
from search.models import Related
from search.related import find_related
from search.related_similar import Concept, Profile, Ranking, Scored, Tuning
from search.scoring import idf
from search.view import Head, IndexView
from search.xapian.query import weighting
from search.xapian.schema import (
    MAX_TERM_BYTES,
    SLOT_DATE,
    SLOT_ID,
    SLOT_TITLE,
    WDF_SCALE,
    id_term,
    term,
)
from search.xapian.shards import RemoteShards
from search.xapian.tables import Tables
from search.xapian.typestats import TypeCounts
from search.xapian.view import XapianView
from search.xapian.words import xapian_idf

Q = xapian.Query
BITS = 50  # terms told apart by one membership match (2**i weights stay exact in a double)
FREQUENCIES_KEPT = 200_000  # terms whose document frequency is kept per database
# candidates a ranking returns, which count the strong ones unless all are (at 10x: 197 lists
# of 200 have fewer than 1,000 strong ones)
STRONG_WINDOW = 1_000
HEADS_SLACK = 10  # x limit: the records tied with the last listed one that the heads match reads


def _at_or_above(mset: xapian.MSet, floor: float) -> int:
    """How many of a ranking's matches weigh at least `floor` (bisection: best first)."""
    weight = lambda i: mset._get_hit_internal(i).get_weight()  # noqa: E731
    low, high = 0, mset.size()
    while low < high:
        mid = (low + high) // 2
        if weight(mid) >= floor:
            low = mid + 1
        else:
            high = mid
    return low


def _or(queries: Sequence[xapian.Query]) -> xapian.Query:
    return queries[0] if len(queries) == 1 else Q(Q.OP_OR, list(queries))


def at_least(m: int, keys: Sequence[str]) -> xapian.Query:
    """Documents holding at least `m` of the terms (1 <= m <= len(keys)): a term and m - 1 of
    those after it, for each term that has m - 1 after it."""
    if m == 1:
        return _or([Q(k) for k in keys])
    return _or(
        [Q(Q.OP_AND, Q(keys[i]), at_least(m - 1, keys[i + 1 :])) for i in range(len(keys) - m + 1)]
    )


def bits_to_docs(bits: int) -> np.ndarray:
    """The documents of a bitset as an ascending array."""
    return np.flatnonzero(bits_to_mask(bits, bits.bit_length()))


def _fits(key: str) -> bool:
    return len(key.encode("utf-8")) <= MAX_TERM_BYTES


_rankers: weakref.WeakKeyDictionary[XapianView, XapianSimilar] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def related(
    view: XapianView, tables: Tables | None, record_id: str, limit: int, explicit: bool
) -> Related:
    """search/related.py find_related with the similar records ranked by Xapian (one ranker
    per view: its term frequencies are kept while the view's build is open), the newest
    records found by the docids' dates in `tables` (None: read once from the date slot)."""
    with _lock:
        ranker = _rankers.get(view)
        if ranker is None:
            dates = tables.numbers[f.DATE] if tables is not None else None
            ranker = _rankers[view] = XapianSimilar(view.db, dates)
    return find_related(view, record_id, limit=limit, explicit=explicit, similar=ranker)


class XapianSimilar:
    """search/related_rank.py's Similar over one Xapian database (or its shards)."""

    def __init__(self, db: xapian.Database, dates: np.ndarray | None = None) -> None:
        """`dates`: each docid's `date` number, as the reader's tables hold it (None: read
        from the date slot when first wanted)."""
        self.db = db
        self._dates = dates
        self.types = TypeCounts(db)
        self._sharded = isinstance(db, RemoteShards)
        self._frequencies: dict[str, int] = {}

    # -- counts --------------------------------------------------------------------------
    def count(self, field: str, value: str) -> int:
        """Documents holding `value` in `field` (every document of a Xapian database is live)."""
        key = term(field, value)
        return self.db.get_termfreq(key) if key and _fits(key) else 0

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """Documents holding each term of ALL (unprefixed: a term is its key)."""
        return self._frequencies_of(terms)

    def _frequencies_of(self, keys: Sequence[str]) -> dict[str, int]:
        """Documents holding each term: over shards those not known yet in one match (its
        statistics), not a round trip each."""
        if not self._sharded:
            return {k: self.db.get_termfreq(k) if _fits(k) else 0 for k in keys}
        wanted = [k for k in dict.fromkeys(keys) if k not in self._frequencies and _fits(k)]
        if wanted:
            enquire = xapian.Enquire(self.db)
            enquire.set_weighting_scheme(xapian.BoolWeight())
            enquire.set_query(_or([Q(k) for k in wanted]))
            mset = enquire.get_mset(0, 0)
            if len(self._frequencies) + len(wanted) > FREQUENCIES_KEPT:
                self._frequencies.clear()
            for k in wanted:
                self._frequencies[k] = mset.get_termfreq(k)
        return {k: self._frequencies.get(k, 0) for k in keys}

    def newest(self, bits: int, n: int) -> list[int]:
        """The `n` newest documents of a bitset (date, then docid), from the dates array: no
        document read (a MeSH descriptor's records at 10x: thousands of round trips)."""
        if self._dates is None:
            self._dates = np.zeros(self.db.get_lastdocid() + 1, dtype=np.int64)
            for item in self.db.valuestream(SLOT_DATE):
                self._dates[item.docid] = int(xapian.sortable_unserialise(item.value))
        docs = bits_to_docs(bits)
        order = np.lexsort((docs, -self._dates[docs]))  # newest first, then the lower docid
        return docs[order[:n]].tolist()

    def _held(self, docids: Sequence[int], ids: Sequence[str], keys: Sequence[str]) -> list[int]:
        """For each document (`docids`, whose record ids are `ids`), a bitset of the `keys` it
        holds: matches restricted to those records whose weights are sums of 2**i."""
        found = dict.fromkeys(docids, 0)
        if not docids or not keys:
            return [0] * len(docids)
        records = _or([Q(id_term(i)) for i in ids])
        for start in range(0, len(keys), BITS):
            chunk = keys[start : start + BITS]
            held = [
                Q(Q.OP_SCALE_WEIGHT, Q(k), float(2**i)) for i, k in enumerate(chunk) if _fits(k)
            ]
            if not held:
                continue
            enquire = xapian.Enquire(self.db)
            enquire.set_weighting_scheme(xapian.CoordWeight())
            enquire.set_query(Q(Q.OP_FILTER, _or(held), records))
            for item in enquire.get_mset(0, len(docids)):
                if item.docid in found:
                    found[item.docid] |= round(item.weight) << start
        return [found[d] for d in docids]

    # -- the ranking -----------------------------------------------------------------------
    def rank(
        self,
        view: IndexView,
        profile: Profile,
        target: str,
        limit: int,
        exclude: int,
        tuning: Tuning,
    ) -> Ranking:
        """The records of type `target` most like the profile (the record itself and the
        bitset `exclude` left out), as search/related_rank.py `rank` returns them."""
        out = sorted(set(iter_bits(exclude)) | {profile.docnum})
        heads = [view.head(d) for d in out]
        out_ids = [h.id for h in heads]
        typed = [(d, h.id) for d, h in zip(out, heads, strict=True) if h.type == target]
        type_key = term(f.TYPE, target)
        n_target = max(1, self.db.get_termfreq(type_key) - len(typed))
        # MeSH: each shared descriptor counts by its specificity among the wanted records.
        keys = [term(f.MESH_UI, c.descriptor.ui) for c in profile.concepts]
        held = self._held([d for d, _ in typed], [i for _, i in typed], keys)
        frequencies = self._frequencies_of(keys)
        weighted: list[tuple[Concept, str, float]] = []  # (concept, its term, its weight)
        for i, c, key in zip(count(), profile.concepts, keys, strict=False):
            df = self.types.of(target, key, frequencies[key])[1] if frequencies[key] else 0
            df -= sum(1 for bits in held if bits >> i & 1)
            if df > 0:
                depth = min(1.0, tuning.depth_base + tuning.depth_step * c.descriptor.depth)
                weighted.append((c, key, c.weight * math.log(1 + n_target / df) * depth))
        leading = [k.term for k in profile.terms[: tuning.pool_terms] if _fits(k.term)]
        pool = [Q(key) for _, key, _ in weighted]
        if leading:
            pool.append(at_least(min(tuning.pool_min_match, len(leading)), leading))
        if not pool:
            return Ranking(0, ())
        allowed = Q(Q.OP_FILTER, _or(pool), Q(type_key))
        allowed = Q(Q.OP_AND_NOT, allowed, _or([Q(id_term(i)) for i in out_ids]))
        scored = self._scores(view, profile, target, weighted, tuning)
        enquire = xapian.Enquire(self.db)
        enquire.set_weighting_scheme(weighting(view.k1, view.b))
        enquire.set_query(Q(Q.OP_FILTER, scored, allowed))
        everything = self.db.get_doccount()
        # the best `limit` and those after them down to STRONG_WINDOW, which count the strong
        # matches when fewer (else one more match counts them)
        mset = enquire.get_mset(0, max(limit, STRONG_WINDOW), everything)
        total = mset.get_matches_estimated()  # exact: every match was counted
        best = [(item.docid, item.weight) for item in islice(mset, limit)]
        if not total or not best:
            return Ranking(total, ())
        floor = tuning.strong_share * best[0][1]
        strong = _at_or_above(mset, floor) if floor > 0 else 0
        if floor > 0 and strong == mset.size() and mset.size() < total:
            enquire.set_cutoff(0, floor)
            strong = enquire.get_mset(0, 0, everything).get_matches_estimated()
        heads = self._heads(enquire, best, limit, target, view)
        hit_ids = [h.id for h in heads]
        leading_words = [k.word for k in profile.terms[: tuning.pool_terms] if _fits(k.term)]
        # which of the shared descriptors and leading words each hit holds (the reasons)
        found = self._held([d for d, _ in best], hit_ids, [*(k for _, k, _ in weighted), *leading])
        hits = []
        for (d, score), bits, head in zip(best, found, heads, strict=True):
            shared = sorted(
                ((w, c) for i, (c, _, w) in enumerate(weighted) if bits >> i & 1),
                key=lambda pair: (-pair[0], pair[1].descriptor.heading),
            )
            words = dict.fromkeys(
                w for i, w in enumerate(leading_words) if bits >> (len(weighted) + i) & 1
            )
            descriptors = tuple(c.descriptor for _, c in shared)
            hits.append(Scored(d, score, descriptors, tuple(words), head))
        return Ranking(total, tuple(hits), strong, floor)

    def _heads(
        self,
        enquire: xapian.Enquire,
        best: list[tuple[int, float]],
        limit: int,
        target: str,
        view: IndexView,
    ) -> list[Head]:
        """Id, type and title of the best records. Over shards, from the ranking asked again
        down to the last one's weight, each match's id as its collapse key (ids are unique: it
        collapses nothing) and its title as its sort key: one round trip, where reading the
        documents took one each (every value slot of a document read on its shard: 45 ms for
        10 at 10x and load 7, 20 for the match). A record the match misses is read."""
        if not self._sharded:
            return [view.head(d) for d, _ in best]
        enquire.set_cutoff(0, best[-1][1])
        enquire.set_collapse_key(SLOT_ID)
        enquire.set_sort_by_relevance_then_value(SLOT_TITLE, False)
        mset = enquire.get_mset(0, limit * HEADS_SLACK)
        found = {}
        for i in range(mset.size()):
            hit = mset._get_hit_internal(i)
            found[hit.get_docid()] = (hit.get_collapse_key(), hit.get_sort_key())
        heads = []
        for d, _ in best:
            if d in found:
                record_id, title = found[d]
                heads.append(Head(record_id.decode("utf-8"), target, title.decode("utf-8")))
            else:
                heads.append(view.head(d))
        return heads

    def _scores(
        self,
        view: IndexView,
        profile: Profile,
        target: str,
        weighted: list[tuple[Concept, str, float]],
        tuning: Tuning,
    ) -> xapian.Query:
        """The score of a candidate as a query (see the module's docstring)."""
        parts = []
        total = sum(w for _, _, w in weighted)
        share = tuning.mesh_share if profile.terms else 1.0
        for c, key, w in weighted:
            part = share * w / total
            parts.append(Q(Q.OP_FILTER, Q(xapian.FixedWeightPostingSource(part)), Q(key)))
            if target == f.ARTICLE and tuning.major_bonus:
                major = Q(Q.OP_AND, Q(term(f.MESH_MAJOR, c.descriptor.ui)), Q(key))
                bonus = xapian.FixedWeightPostingSource(part * tuning.major_bonus)
                parts.append(Q(Q.OP_FILTER, Q(bonus), major))
        if profile.terms:
            text_share = 1.0 - tuning.mesh_share if weighted else 1.0
            n = view.doc_count()
            top = profile.terms[0].weight
            dfs = self.doc_frequencies([k.term for k in profile.terms if _fits(k.term)])
            weights = [
                (k.term, k.weight / top * idf(n, dfs[k.term]))
                for k in profile.terms
                if dfs.get(k.term)
            ]
            bound = sum(w * (view.k1 + 1) for _, w in weights)
            k1_factor = (view.k1 + 1) / (view.k1 * WDF_SCALE + 1)
            for key, w in weights:
                factor = text_share * w / bound / xapian_idf(n, dfs[key]) * k1_factor
                parts.append(Q(Q.OP_SCALE_WEIGHT, Q(key), factor))
        return _or(parts)
