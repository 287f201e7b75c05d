"""The features of the learned second stage: what the engine already knows about each record of
the fused pool (its first POOL records), read through the index view (search/view.py) so that
every backend gives them.

Per record: BM25 of the query's terms in the whole record (BM25F), in its eligibility and sites,
and in its title; the listing's own score and rank, and the rank after fusion; the semantic
similarity and its rank in the pool; how many of the query's terms it holds (all, and in its
title); its type, year and length. Per query: its shape (search/querymodel.py) and length.
(Matches of the query's MeSH descriptors and the other sections were tried: no gain.) The order of
FEATURES is the model's (search/ltr/model.json names them; a model of other features is
refused). Cost is bounded: at most MAX_TERMS terms (the rarest) and POOL records.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from search import fields as f
from search import querymodel
from search.analysis import analyzer
from search.bitsets import bits_from_docs, iter_bits
from search.scoring import BM25_B, BM25_K1, idf, saturated_tf
from search.view import IndexView

MAX_TERMS = 32  # a query's rarest terms that are scored per section (a patient note has ~150)
# The whole record (BM25F), eligibility and sites, title. Conditions, interventions, keywords
# and MeSH names were features too: they added ~2% of the model's gain and half the time.
SECTIONS = (f.ALL, f.ASIDE, f.TITLE)
FEATURES = (
    *(f"bm25_{s}" for s in SECTIONS),
    "score",  # the listing's score (BM25F, feedback and patient factors included)
    "score_ratio",  # that score over the pool's best
    "rank_log",  # log2 of the listing's rank (from 1)
    "fused_rank_log",  # log2 of the rank after fusion with the similarity
    "fused_score",  # the fusion's score (the shape's: z-scores or RRF; search/ltr first_stage)
    "score_z",  # the listing's score standardized over the pool
    "similarity_z",  # the similarity standardized over the pool (missing: the lowest)
    "similarity",  # cosine of the record's vector and the query's (NaN: no vector)
    "similarity_gap",  # the pool's best similarity minus the record's
    "similarity_rank_log",  # log2 of its rank by similarity in the pool
    "coverage",  # share of the query's terms (idf-weighted) the record holds
    "coverage_title",  # the same in its title
    "is_trial",
    "is_article",
    "is_mesh",
    "year",  # NaN when undated
    "length_log",  # log2 of 1 + the record's BM25F length
    "query_terms",
    "query_shape",  # 0 keywords, 1 question or claim, 2 description
)
DOCNUM_CACHE = 200_000  # record id -> docnum of the current index version, kept between queries
_ANALYZER = analyzer()
_SHAPES = {s: i for i, s in enumerate(querymodel.SHAPES)}


@dataclass(frozen=True, slots=True)
class Query:
    """What is read of the query once, whatever records are scored."""

    text: str
    terms: tuple[str, ...]  # distinct analyzed terms
    shape: int


def read_query(text: str) -> Query:
    terms = tuple(dict.fromkeys(_ANALYZER.terms(querymodel.without_negated(text), mode="query")))
    return Query(text, terms, _SHAPES[querymodel.shape(text)])


def _ranks_log(values: np.ndarray) -> np.ndarray:
    """log2 of each value's rank, best (highest) first; NaN ranks last."""
    filled = np.where(np.isnan(values), -np.inf, values)
    order = np.argsort(-filled, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    return np.log2(ranks)


def features(
    view: IndexView,
    query: Query,
    ids: list[str],
    scores: np.ndarray,
    similarity: np.ndarray,
    listed: np.ndarray,
) -> np.ndarray:
    """The records' feature rows (len(ids) x len(FEATURES), float32) for `query`, the records
    given in the fused order: `scores` the listing's, `similarity` the cosines (NaN: none),
    `listed` their positions in the listing (from 0). Records the view lacks get zeros."""
    n = len(ids)
    out = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if not n:
        return out.astype(np.float32)
    col = {name: i for i, name in enumerate(FEATURES)}
    docs = _docnums(view, ids)
    row_of = {d: r for r, d in enumerate(docs) if d is not None}
    pool = bits_from_docs(row_of, 1 + max(row_of, default=0))
    total_docs = view.doc_count()
    # the rarest terms first (by the whole record's document frequency)
    dfs = {t: view.doc_frequency(f.ALL, t) + view.doc_frequency(f.ASIDE, t) for t in query.terms}
    terms = sorted((t for t in query.terms if dfs[t]), key=lambda t: dfs[t])[:MAX_TERMS]
    idfs = {t: idf(total_docs, min(dfs[t], total_docs)) for t in terms}
    idf_sum = sum(idfs.values()) or 1.0
    held: list[set[str]] = [set() for _ in range(n)]  # terms in the record (any section)
    held_title: list[set[str]] = [set() for _ in range(n)]
    for section in SECTIONS:
        avg = view.avg_length(section) or 1.0
        lengths: dict[int, float] = {}
        column = out[:, col[f"bm25_{section}"]]
        for t in terms:
            matched = view.term(section, t) & pool
            if not matched:
                continue
            weights = view.weights(section, t, list(iter_bits(matched)))
            term_idf = idf(total_docs, min(total_docs, max(1, view.doc_frequency(section, t))))
            for d, tf in weights.items():
                r = row_of[d]
                length = lengths.get(d)
                if length is None:
                    length = lengths[d] = view.length(d, section)
                column[r] += term_idf * saturated_tf(tf, length, avg, BM25_K1, BM25_B)
                held[r].add(t)
                if section == f.TITLE:
                    held_title[r].add(t)
    out[:, col["coverage"]] = [sum(idfs[t] for t in h) / idf_sum for h in held]
    out[:, col["coverage_title"]] = [sum(idfs[t] for t in h) / idf_sum for h in held_title]
    out[:, col["score"]] = scores[:n]
    best = float(np.max(scores[:n])) if n else 0.0
    out[:, col["score_ratio"]] = scores[:n] / best if best > 0 else 0.0
    out[:, col["rank_log"]] = np.log2(np.asarray(listed[:n], dtype=np.float64) + 1)
    out[:, col["fused_rank_log"]] = np.log2(np.arange(1, n + 1))
    sims = np.full(n, np.nan)
    sims[: min(n, len(similarity))] = similarity[:n]
    out[:, col["similarity"]] = sims
    top = np.nanmax(sims) if not np.isnan(sims).all() else np.nan
    out[:, col["similarity_gap"]] = top - sims
    out[:, col["similarity_rank_log"]] = _ranks_log(sims)
    for kind, name in ((f.TRIAL, "is_trial"), (f.ARTICLE, "is_article"), (f.MESH_TYPE, "is_mesh")):
        for d in iter_bits(view.term(f.TYPE, kind) & pool):
            out[row_of[d], col[name]] = 1.0
    for d, r in row_of.items():
        date = view.date(d)
        out[r, col["year"]] = date // 10000 if date else np.nan
        out[r, col["length_log"]] = math.log2(1 + view.length(d, f.ALL))
    out[:, col["query_terms"]] = len(query.terms)
    out[:, col["query_shape"]] = query.shape
    return out.astype(np.float32)


_known: dict[tuple[int, Hashable], dict[str, int | None]] = {}  # a view -> id -> docnum
_known_lock = threading.Lock()


def _docnums(view: IndexView, ids: list[str]) -> list[int | None]:
    """The documents of `ids` in the view, remembered for the index version (a look-up of a
    record id reads the id field's terms: 2/5 of the features' time when each was read)."""
    key = (id(view), view.version)  # the view of one index version of one index folder
    with _known_lock:
        known = _known.get(key)
        if known is None or len(known) > DOCNUM_CACHE:
            _known.clear()  # a new index version (or too many): start again
            known = _known[key] = {}
    out = []
    for i in ids:
        d = known.get(i, -1)
        if d == -1:
            d = known[i] = view.docnum(i)
        out.append(d)
    return out
