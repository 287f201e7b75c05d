"""Ranking similar records over an index view's bitsets (search/related_similar.py says what
similar means), and the protocol through which a backend may rank them its own way
(search/xapian/related.py).

One record's lookup is a handful of index look-ups, never a walk over the records: one cached
bitset per descriptor and per key term give the candidate pool (records sharing a descriptor or
having 2 of the 10 leading key terms), a first score for each candidate and the reasons; then
only the best `rerank` x limit candidates get their exact BM25F, read from the postings at
those records.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from typing import Protocol

from search import fields as f
from search.bitsets import iter_bits
from search.related_similar import DEFAULT, Concept, Profile, Ranking, Scored, Tuning
from search.scoring import idf, saturated_tf
from search.view import IndexView


class Similar(Protocol):
    """What related items read of similar records: the neutral ranking over the view's bitsets
    (ViewSimilar), or a backend's own (search/xapian/related.py)."""

    def rank(
        self,
        view: IndexView,
        profile: Profile,
        target: str,
        limit: int,
        exclude: int,
        tuning: Tuning,
    ) -> Ranking:
        """The records of type `target` most like the profile, the record itself and the
        bitset `exclude` left out (`rank` below)."""
        ...

    def count(self, field: str, value: str) -> int:
        """Live documents holding `value` in `field`."""
        ...

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """Documents holding each term of ALL (view.doc_frequency)."""
        ...

    def newest(self, bits: int, n: int) -> list[int]:
        """The `n` newest documents of a bitset, by their date (view.date), then docnum."""
        ...

    def read_ahead(self, view: IndexView, record_ids: Sequence[str]) -> None:
        """A hint: these records are about to be looked up and read (a backend over the
        network reads them in one batch; the view's bitsets need nothing)."""
        ...


class ViewSimilar:
    """Similar over an index view's bitsets (every backend)."""

    def __init__(self, view: IndexView) -> None:
        self.view = view

    def rank(
        self,
        view: IndexView,
        profile: Profile,
        target: str,
        limit: int,
        exclude: int,
        tuning: Tuning,
    ) -> Ranking:
        return rank(view, profile, target, limit, exclude, tuning)

    def count(self, field: str, value: str) -> int:
        return self.view.term(field, value).bit_count()

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        return {t: self.view.doc_frequency(f.ALL, t) for t in terms}

    def newest(self, bits: int, n: int) -> list[int]:
        return heapq.nlargest(n, iter_bits(bits), key=lambda d: (self.view.date(d), -d))

    def read_ahead(self, view: IndexView, record_ids: Sequence[str]) -> None:
        return None


def _at_least(sets: Iterable[int], m: int, everything: int) -> int:
    """Documents in at least `m` of the bitsets (a running "at least j so far" per j)."""
    at = [everything] + [0] * m
    for bits in sets:
        for j in range(m, 0, -1):
            at[j] |= at[j - 1] & bits
    return at[m]


def rank(
    view: IndexView,
    profile: Profile,
    target: str,
    limit: int,
    exclude: int = 0,
    tuning: Tuning = DEFAULT,
) -> Ranking:
    """The records of type `target` most like the profile (the record itself and the
    bitset `exclude` left out)."""
    allowed = view.term(f.TYPE, target) & ~exclude & ~(1 << profile.docnum)
    n_target = max(1, allowed.bit_count())
    # MeSH: each shared descriptor counts by its specificity among the wanted records.
    weighted: list[tuple[Concept, int, float]] = []
    for c in profile.concepts:
        bits = view.term(f.MESH_UI, c.descriptor.ui) & allowed
        df = bits.bit_count()
        if df:
            depth = min(1.0, tuning.depth_base + tuning.depth_step * c.descriptor.depth)
            weighted.append((c, bits, c.weight * math.log(1 + n_target / df) * depth))
    # Text: the candidates have most of the leading key terms.
    leading = [(k, view.term(f.ALL, k.term) & allowed) for k in profile.terms]
    leading = leading[: tuning.pool_terms]
    pool = 0
    for _, bits, _ in weighted:
        pool |= bits
    if leading:
        need = min(tuning.pool_min_match, len(leading))
        pool |= _at_least((b for _, b in leading), need, allowed)
    total = pool.bit_count()
    if not total:
        return Ranking(0, ())
    scores = _mesh_scores(view, profile, weighted, target, tuning)
    every = _add_text_scores(scores, view, profile, pool, bool(weighted), limit, tuning)
    best = heapq.nlargest(limit, scores.items(), key=lambda kv: (kv[1], -kv[0]))
    floor = tuning.strong_share * best[0][1] if best else 0.0
    strong = sum(1 for v in every.values() if v >= floor) if floor > 0 else 0
    hits = []
    for d, score in best:
        shared = sorted(((w, c) for c, bits, w in weighted if bits >> d & 1), key=_heaviest)
        words = dict.fromkeys(k.word for k, bits in leading if bits >> d & 1)
        hits.append(Scored(d, score, tuple(c.descriptor for _, c in shared), tuple(words)))
    return Ranking(total, tuple(hits), strong, floor)


def _heaviest(pair: tuple[float, Concept]) -> tuple[float, str]:
    return -pair[0], pair[1].descriptor.heading


def _mesh_scores(
    view: IndexView,
    profile: Profile,
    weighted: list[tuple[Concept, int, float]],
    target: str,
    tuning: Tuning,
) -> dict[int, float]:
    """MESH_SHARE x (weights of the shared descriptors / weights of the record's), plus the
    major-topic bonus for articles: for every candidate sharing a descriptor."""
    scores: dict[int, float] = {}
    total = sum(w for _, _, w in weighted)
    share = tuning.mesh_share if profile.terms else 1.0
    for c, bits, w in weighted:
        part = share * w / total
        for d in iter_bits(bits):
            scores[d] = scores.get(d, 0.0) + part
        if target == f.ARTICLE and tuning.major_bonus:
            major = view.term(f.MESH_MAJOR, c.descriptor.ui) & bits
            for d in iter_bits(major):
                scores[d] += part * tuning.major_bonus
    return scores


def _add_text_scores(
    scores: dict[int, float],
    view: IndexView,
    profile: Profile,
    pool: int,
    with_mesh: bool,
    limit: int,
    tuning: Tuning,
) -> dict[int, float]:
    """Add (1 - MESH_SHARE) x BM25F of the key terms (each boosted by its weight in the record)
    / its upper bound, in two steps: every candidate first gets the score of a one-time
    occurrence in an average-length record (from the terms' bitsets, no postings read); then
    the best `rerank` of them get the exact BM25F from the postings (term frequency, section
    weights, length). Returns every candidate's score: exact for those, the first estimate
    for the others (what the count of strong matches reads)."""
    if not profile.terms:
        return dict(scores)
    share = 1.0 - tuning.mesh_share if with_mesh else 1.0
    top = profile.terms[0].weight
    n = view.doc_count()
    terms = []
    for k in profile.terms:
        weight = k.weight / top * idf(n, view.doc_frequency(f.ALL, k.term))
        terms.append((k.term, weight, view.term(f.ALL, k.term) & pool))
    bound = sum(w * (view.k1 + 1) for _, w, _ in terms)
    first = dict(scores)
    for _, w, within in terms:
        part = share * w / bound
        for d in iter_bits(within):
            first[d] = first.get(d, 0.0) + part
    rerank = max(limit * tuning.rerank, limit)
    best = sorted(heapq.nlargest(rerank, first.items(), key=lambda kv: (kv[1], -kv[0])))
    exact = _bm25(view, [(t, share * w / bound, bits) for t, w, bits in terms], best)
    for d, _ in best:
        scores[d] = first[d] = scores.get(d, 0.0) + exact.get(d, 0.0)
    return first


def _bm25(
    view: IndexView, terms: list[tuple[str, float, int]], docs: list[tuple[int, float]]
) -> dict[int, float]:
    """Sum of weight x BM25F(term, doc) for the docs (ascending), reading each term's
    frequencies only at those docs."""
    avgdl = view.avg_length(f.ALL) or 1.0
    out: dict[int, float] = {}
    lengths = {d: view.length(d, f.ALL) or avgdl for d, _ in docs}
    for term, weight, bits in terms:
        tfs = view.weights(f.ALL, term, [d for d, _ in docs if bits >> d & 1])
        for d, tf in tfs.items():
            out[d] = out.get(d, 0.0) + weight * saturated_tf(tf, lengths[d], avgdl, view.k1, view.b)
    return out
