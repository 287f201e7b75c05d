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
type, which of them or of the leading words a record holds, with the listed records' titles)
are matches too, and the records' ids come from the reader's ids array
(search/xapian/relatedreads.py).
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
from search.bitsets import iter_bits
from search.models import Related
from search.related import find_related
from search.related_similar import Concept, Profile, Ranking, Scored, Tuning
from search.scoring import idf
from search.view import IndexView
from search.xapian.query import weighting
from search.xapian.relatedreads import MatchReads, any_of, at_least, at_or_above, fits
from search.xapian.schema import WDF_SCALE, id_term, term
from search.xapian.tables import Tables
from search.xapian.typestats import TypeCounts
from search.xapian.view import XapianView
from search.xapian.words import xapian_idf

Q = xapian.Query
# candidates a ranking returns, which count the strong ones unless all are (at 10x: 197 lists
# of 200 have fewer than 1,000 strong ones)
STRONG_WINDOW = 1_000
_rankers: weakref.WeakKeyDictionary[XapianView, XapianSimilar] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def related(
    view: XapianView, tables: Tables | None, record_id: str, limit: int, explicit: bool
) -> Related:
    """search/related.py find_related with the similar records ranked by Xapian (one ranker
    per view: its term frequencies are kept while the view's build is open), the newest
    records found by the docids' dates in `tables` and the listed ones' ids by its ids (None:
    each read once from its slot)."""
    with _lock:
        ranker = _rankers.get(view)
        if ranker is None:
            dates = tables.numbers[f.DATE] if tables is not None else None
            ids = tables.ids if tables is not None else None
            ranker = _rankers[view] = XapianSimilar(view.db, dates, ids)
    return find_related(view, record_id, limit=limit, explicit=explicit, similar=ranker)


class XapianSimilar(MatchReads):
    """search/related_rank.py's Similar over one Xapian database (or its shards)."""

    def __init__(
        self, db: xapian.Database, dates: np.ndarray | None = None, ids: np.ndarray | None = None
    ) -> None:
        super().__init__(db, dates, ids)
        self.types = TypeCounts(db)

    # -- counts --------------------------------------------------------------------------
    def count(self, field: str, value: str) -> int:
        """Documents holding `value` in `field` (every document of a Xapian database is live)."""
        key = term(field, value)
        return self.db.get_termfreq(key) if key and fits(key) else 0

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """Documents holding each term of ALL (unprefixed: a term is its key)."""
        return self.frequencies_of(terms)

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
        held = self.held([d for d, _ in typed], [i for _, i in typed], keys)
        # (over shards a descriptor's count per type is one match, which needs no total: its
        # total is not asked first, a match for the record's descriptors)
        spied = self.types.spied
        frequencies = {k: int(fits(k)) for k in keys} if spied else self.frequencies_of(keys)
        weighted: list[tuple[Concept, str, float]] = []  # (concept, its term, its weight)
        for i, c, key in zip(count(), profile.concepts, keys, strict=False):
            df = self.types.of(target, key, frequencies[key])[1] if frequencies[key] else 0
            df -= sum(1 for bits in held if bits >> i & 1)
            if df > 0:
                depth = min(1.0, tuning.depth_base + tuning.depth_step * c.descriptor.depth)
                weighted.append((c, key, c.weight * math.log(1 + n_target / df) * depth))
        leading = [k.term for k in profile.terms[: tuning.pool_terms] if fits(k.term)]
        pool = [Q(key) for _, key, _ in weighted]
        if leading:
            pool.append(at_least(min(tuning.pool_min_match, len(leading)), leading))
        if not pool:
            return Ranking(0, ())
        allowed = Q(Q.OP_FILTER, any_of(pool), Q(type_key))
        allowed = Q(Q.OP_AND_NOT, allowed, any_of([Q(id_term(i)) for i in out_ids]))
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
        strong = at_or_above(mset, floor) if floor > 0 else 0
        if floor > 0 and strong == mset.size() and mset.size() < total:
            enquire.set_cutoff(0, floor)
            strong = enquire.get_mset(0, 0, everything).get_matches_estimated()
        leading_words = [k.word for k in profile.terms[: tuning.pool_terms] if fits(k.term)]
        # which of the shared descriptors and leading words each hit holds (the reasons), and
        # its id and title
        reasons = [*(k for _, k, _ in weighted), *leading]
        found, heads = self.listed([d for d, _ in best], reasons, target)
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
            dfs = self.doc_frequencies([k.term for k in profile.terms if fits(k.term)])
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
        return any_of(parts)
