"""The Xapian reader's listing (search/xapian/engine.py's XapianReader takes it in): the page
of hits ranked within the allowed set, the patient mode's eligibility order, the semantic
fusion's pool, each hit's fields and `<mark>` snippet, and the facet values' labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xapian

from search import deadline
from search import fields as f
from search import querytree as qt
from search.datesort import date_column, date_order
from search.eligibility import RERANK_DEPTH, factors
from search.hits import URL_PREFIX, name_in_record, summary_fields
from search.models import (
    Hit,
    SearchRequest,
)
from search.querymodel import Demographics
from search.scoring import MESH_PRIOR
from search.semantic.fusion import POOL, Rerank, dense_ids
from search.snippets import make_snippet
from search.xapian import facets as xfacets
from search.xapian.matching import boolean, made, needs_masks
from search.xapian.query import scaled, weighting
from search.xapian.schema import (
    SLOT_DISPLAY_DATE,
    SLOT_ID,
    SLOT_TITLE,
    SLOT_TYPE,
    id_term,
    prefix,
    term,
)
from search.xapian.shards import ranked_within

if TYPE_CHECKING:
    from search.xapian.engine import Parsed, _State

MESH_DOCS = term(f.TYPE, f.MESH_TYPE)


class Listing:
    """The listing half of XapianReader (its state and settings are the reader's)."""

    def _hits(
        self,
        st: _State,
        req: SearchRequest,
        tree: qt.Node,
        query: xapian.Query | None,
        allowed: np.ndarray,
        plain: qt.Node,
        offset: int = 0,
        after: qt.Node | None = None,
        strong: np.ndarray | None = None,
        patient: Demographics | None = None,
    ) -> tuple[Hit, ...]:
        """A page of hits; `after`: the tree of the full matches, these being the partial ones
        listed after them, ranked within `allowed` from `offset`; `strong`: the strong matches
        a date sort lists first (search/datesort.py; None: all); `patient`: trials excluding
        them rank lower (search/eligibility.py), among the best RERANK_DEPTH."""
        first, limit = (req.page - 1) * req.size + offset, req.page * req.size + offset
        scores: dict[int, float] = {}
        if req.sort != "relevance":  # strong matches first, by date, then by docid
            found = np.flatnonzero(allowed)
            dates = st.tables.numbers[date_column(req.sort)][found]
            docs = date_order(found, dates, None if strong is None else strong[found], req.sort)
            docids = [int(d) for d in docs[first:limit]]
        elif query is None:  # Every: its boost, scaled down for MeSH definitions
            assert isinstance(tree, qt.Every)
            mesh = st.tables.any_of(f.TYPE, [f.MESH_TYPE])
            found = np.flatnonzero(allowed)
            order = np.argsort(mesh[found], kind="stable")
            docids = [int(d) for d in found[order][first:limit]]
            scores = {d: tree.boost * (MESH_PRIOR if mesh[d] else 1.0) for d in docids}
        else:
            start, count = first, req.size
            if patient:  # the best RERANK_DEPTH re-ranked, then the page taken from them
                start, count = 0, max(limit, RERANK_DEPTH)
            docids, scores = self._pool(st, req, tree, allowed, start, count, after)
            if patient:
                docids = self._eligible_first(st, docids, scores, patient)[first:limit]
        partial = set(docids) if after is not None else set()
        return self._render(st, req, docids, scores, plain, partial)

    def _eligible_first(
        self, st: _State, docids: list[int], scores: dict[int, float], patient: Demographics
    ) -> list[int]:
        """`docids` by their scores times the patient's eligibility factors
        (search/eligibility.py); `scores` updated."""
        record = lambda d: f.unpack_record(st.db.get_document(d).get_data())  # noqa: E731
        for docid, factor in factors(docids, record, patient).items():
            scores[docid] *= factor
        return sorted(docids, key=lambda d: (-scores[d], d))

    def _pool(
        self,
        st: _State,
        req: SearchRequest,
        tree: qt.Node,
        allowed: np.ndarray,
        first: int,
        count: int,
        after: qt.Node | None = None,
    ) -> tuple[list[int], dict[int, float]]:
        """`count` records of the BM25 ranking of `tree` within `allowed` from `first`;
        `after`: the tree of the full matches, which `allowed` leaves out (partial matches)."""
        enquire = self._enquire(st)
        enquire.set_weighting_scheme(weighting(self.k1, self.b))
        query = self._ranked(st, tree, req, allowed)
        if after is not None and not needs_masks(after) and not needs_masks(tree):
            # the partial matches: Xapian leaves the full ones out (no decider per document)
            q = xapian.Query
            enquire.set_query(made(q.OP_AND_NOT, query, boolean(st.translator, after)))
            mset = enquire.get_mset(first, count)
        elif needs_masks(tree) or after is not None:  # rank within a match set given as a mask
            enquire.set_query(query)
            mset = ranked_within(enquire, st.db, first, count, allowed, InMask(allowed))
        else:
            enquire.set_query(query)
            mset = enquire.get_mset(first, count)
        return [m.docid for m in mset], {m.docid: m.weight for m in mset}

    def _fused_hits(
        self,
        st: _State,
        req: SearchRequest,
        parsed: Parsed,
        trees: tuple[qt.Node, qt.Node | None],
        listed: tuple[np.ndarray, np.ndarray | None],
        rerank: Rerank,
        patient: Demographics | None = None,
    ) -> tuple[Hit, ...]:
        """The page of the listing (full matches of `trees[0]` in `listed[0]`, then the
        partial ones of `trees[1]` in `listed[1]`) whose first POOL `rerank` orders again
        (search/semantic/); with a `patient`, the full matches are first ordered as _hits
        orders them."""
        (tree, loose_tree), (allowed, extra) = trees, listed
        n = max(req.page * req.size, POOL)
        docids, scores = self._pool(st, req, tree, allowed, 0, n) if allowed.any() else ([], {})
        if patient:
            docids = self._eligible_first(st, docids, scores, patient)
        partial: set[int] = set()
        if extra is not None and loose_tree is not None and len(docids) < n:
            loose, loose_scores = self._pool(st, req, loose_tree, extra, 0, n - len(docids), tree)
            docids += loose
            scores.update(loose_scores)
            partial.update(loose)
        first = len(docids)
        joined = self._joiners(st, rerank, allowed if extra is None else allowed | extra, docids)
        docids += joined
        partial.update(d for d in joined if extra is not None and extra[d])
        ids = [st.db.get_document(d).get_value(SLOT_ID).decode("utf-8") for d in docids]
        bm25 = np.array([scores.get(d, np.nan) for d in docids], dtype=np.float64)
        bm25[first:] = np.nan  # dense joiners (search/semantic/fusion.py)
        order, fused = rerank(ids, bm25)
        ranked = [docids[i] for i in order.tolist()]
        scores = dict(zip(ranked, fused.tolist(), strict=True))
        page = ranked[(req.page - 1) * req.size : req.page * req.size]
        return self._render(st, req, page, scores, parsed.plain, partial)

    @staticmethod
    def _joiners(st: _State, rerank: Rerank, listed: np.ndarray, docids: list[int]) -> list[int]:
        """The docids of the records `rerank` offers to join (search/semantic/fusion.py) that
        the listing holds (the search's words and filters allow them) beyond `docids`."""
        taken, out = set(docids), []
        for record_id in dense_ids(rerank):
            for posting in st.db.postlist(id_term(record_id)):
                docid = posting.docid
                if docid < len(listed) and listed[docid] and docid not in taken:
                    out.append(docid)
                    taken.add(docid)
                break
        return out

    def _render(
        self,
        st: _State,
        req: SearchRequest,
        docids: list[int],
        scores: dict[int, float],
        plain: qt.Node,
        partial: set[int],
    ) -> tuple[Hit, ...]:
        """Hits of `docids`, in that order; `partial`: those listed after the full matches."""
        terms = self._snippet_terms(st, plain)
        out = []
        for docid in docids:
            deadline.check()
            doc = st.db.get_document(docid)
            record = f.unpack_record(doc.get_data())
            kind = doc.get_value(SLOT_TYPE).decode("utf-8")
            record_id = doc.get_value(SLOT_ID).decode("utf-8")
            out.append(
                Hit(
                    id=record_id,
                    type=kind,
                    title=doc.get_value(SLOT_TITLE).decode("utf-8"),
                    url=URL_PREFIX[kind] + record_id,
                    snippet=make_snippet(record, terms),
                    score=round(float(scores[docid]), 4) if req.sort == "relevance" else None,
                    fields=summary_fields(record, doc.get_value(SLOT_DISPLAY_DATE).decode("utf-8")),
                    partial=docid in partial,
                )
            )
        return tuple(out)

    def _ranked(
        self, st: _State, tree: qt.Node, req: SearchRequest, within: np.ndarray | None = None
    ) -> xapian.Query:
        """The scored query: MeSH definitions' scores x MESH_PRIOR, the facet filters applied;
        `within`: the documents it will rank (its match set, filtered; None: not known here,
        as on shards that count their own matches: every type, every length). One translation per
        record type (scored with that type's idf: search/xapian/typestats.py), each filtered
        by one type term: Xapian 1.4.26 crashed (BM25,
        tests/test_xapian.py) on AND_NOT or a filter by an OR over the same queries."""
        q = xapian.Query
        halves = []
        types = lambda t: st.tables.term(f.TYPE, t)  # noqa: E731
        for t in f.TYPES:
            inside = None if within is None else st.translator.part(within, t, types(t))
            if inside is None or inside.any():
                kind = made(term(f.TYPE, t))
                prior = MESH_PRIOR if t == f.MESH_TYPE else 1.0
                translated = st.translator(tree, t, inside, kind if prior == 1.0 else None)
                halves.append(made(q.OP_FILTER, scaled(translated, prior), kind))
        ranked = made(q.OP_OR, halves) if halves else q.MatchNothing
        filters = xfacets.filter_query(req, st.tables)
        return ranked if filters is None else made(q.OP_FILTER, ranked, filters)

    def _snippet_terms(self, st: _State, plain: qt.Node) -> set[str]:
        """The text terms a snippet marks: the query's words, its prefixes' expansions."""
        terms = {text for field_, text in qt.positive_terms(plain) if field_ in f.TEXT_FIELDS}
        for leaf in qt.leaves(plain):
            if isinstance(leaf, qt.Prefix) and leaf.field in f.TEXT_FIELDS:
                pre = prefix(leaf.field)
                for n, t in enumerate(st.db.allterms(pre + leaf.text)):
                    if n >= qt.MAX_EXPANSIONS:
                        break
                    terms.add(t.term.decode("utf-8")[len(pre) :])
        return terms

    def _labels(self, st: _State, facet: str, values: list[str]) -> dict[str, str]:
        """Headings for MeSH facet values: a UI's heading (or, with no MeSH record, the name
        the records give it), a tree number's descriptor."""
        out = {}
        for v in values:
            key = f"{facet}:{v}"
            if key not in st.labels:
                docid = self._first(st, id_term(v)) if facet == "mesh" else None
                if facet == "topic":
                    docid = self._first(st, term(f.MESH_TREE, v), MESH_DOCS)
                title = st.db.get_document(docid).get_value(SLOT_TITLE) if docid else b""
                if facet == "topic":
                    fallback = f"{f.MESH_CATEGORIES.get(v[:1], 'MeSH')} {v}"
                else:
                    fallback = "" if docid else self._name_from_records(st, v)
                st.labels[key] = title.decode("utf-8") or fallback or v
            out[v] = st.labels[key]
        return out

    @staticmethod
    def _name_from_records(st: _State, ui: str, tries: int = 5) -> str:
        for n, item in enumerate(st.db.postlist(term(f.MESH_UI, ui))):
            if n == tries:
                break
            name = name_in_record(f.unpack_record(st.db.get_document(item.docid).get_data()), ui)
            if name:
                return name
        return ""

    @staticmethod
    def _first(st: _State, key: str, within: str | None = None) -> int | None:
        q = xapian.Query(key)
        if within is not None:
            q = xapian.Query(xapian.Query.OP_FILTER, q, xapian.Query(within))
        enquire = xapian.Enquire(st.db)
        enquire.set_query(q)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        mset = enquire.get_mset(0, 1)
        return mset.get_docid(0) if mset.size() else None

    # -- records -----------------------------------------------------------------------------


class InMask(xapian.MatchDecider):
    """Keeps the documents of a mask (docid-indexed)."""

    def __init__(self, mask: np.ndarray) -> None:
        super().__init__()
        self.mask = mask

    def __call__(self, doc: xapian.Document) -> bool:
        return bool(self.mask[doc.get_docid()])
