"""WhooshEngine, the Whoosh backend's reader: open the live index, search it, fetch records.

Each thread keeps one searcher and its caches (bitsets, labels) and reuses them until the index
changes: a new build switched in (the `current` symlink points elsewhere) or an update committed
(a newer generation). The check costs a readlink and a stat per request.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import scoring
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from search import deadline, feedback
from search import fields as f
from search import querytree as qt
from search.datesort import core_query
from search.eligibility import RERANK_DEPTH, factors, patient_of, patient_request
from search.errors import DocumentNotFound, IndexNotBuilt
from search.expansion import MeshExpander
from search.facets import FACETS
from search.fairlock import FairLock
from search.models import Hit, Overview, Related, SearchPage, SearchRequest
from search.querymodel import DESCRIPTION
from search.related import find_related
from search.related_mesh import MeshBook, ViewMeshSource, overview
from search.requests import validate
from search.scoring import BM25_B, BM25_K1, MESH_PRIOR, idf
from search.semantic.fusion import Rerank
from search.spelling import suggest
from search.store import CURRENT, read_meta
from search.syntax import QueryBuilder
from search.whoosh.docsets import DocSets, bits_to_mask, mask_to_bits
from search.whoosh.facets import count_facets, filter_bits
from search.whoosh.listing import Listing
from search.whoosh.postings import Postings
from search.whoosh.query import (
    COORDINATION,
    MAX_EXPANDED_TERMS,
    check_expansions,
    to_whoosh,
)
from search.whoosh.ranking import Ranker, Weights
from search.whoosh.store import open_index
from search.whoosh.view import WhooshView


class RobertsonBM25F(scoring.BM25F):
    """BM25F with the Robertson/Lucene idf, log(1 + (N - n + 0.5) / (n + 0.5)): near 0 for words
    in most records, where Whoosh's own log(N / (n + 1)) + 1 never drops below 1. Scores are
    computed by search/ranking.py from the same formula; Whoosh uses this weighting for the
    nodes the ranker hands back to it (phrases, ranges)."""

    def idf(self, searcher: Searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return idf(total, n)


@dataclass
class _State:
    """The open view of one index version, shared by all threads (under SearchEngine.lock)."""

    key: tuple[str, int]
    ix: FileIndex
    searcher: Searcher
    docsets: DocSets
    ranker: Ranker
    view: WhooshView  # the index view of the neutral algorithms (search/view.py)
    labels: dict[str, str] = field(default_factory=dict)
    ids: dict[int, str] = field(default_factory=dict)  # docnum -> record id, read once each

    def record_id(self, docnum: int) -> str:
        """The id of a document (its stored fields are read the first time only)."""
        found = self.ids.get(docnum)
        if found is None:
            found = self.ids[docnum] = self.searcher.stored_fields(docnum)[f.ID]
        return found


class WhooshEngine(Listing):
    """Searches the live index. One searcher and one set of caches serve every thread, one
    request at a time: a Whoosh reader copies its term index and postings into memory (about
    1 GB for the full shared data), reads them through a shared file position, and Python
    runs one thread at a time anyway. Work outside the engine (rendering) still overlaps.
    A request waits for the engine, and searches, only until its deadline (search/deadline.py):
    then it ends with SearchTimeout, so no request holds the others up for longer than that."""

    def __init__(
        self,
        index_dir: str | Path,
        b: float = BM25_B,
        k1: float = BM25_K1,
        coordination: float = COORDINATION,
        facet_limit: int | None = None,
        max_expanded: int = MAX_EXPANDED_TERMS,
        per_type: bool = True,
    ) -> None:
        """`facet_limit`: values listed per facet (default: each facet's own, 10 or 20);
        `max_expanded`: words the prefixes of one query may stand for together; `per_type`:
        collection statistics per record type (off: over the whole index, as Xapian's)."""
        self.index_dir = Path(index_dir)
        self.max_expanded = max_expanded
        self.facet_limits = {d.name: facet_limit for d in FACETS} if facet_limit else None
        self.weights = Weights(b, k1, coordination, MESH_PRIOR, per_type=per_type)
        self.lock = FairLock()  # held by every public method while it reads the index
        self._state: _State | None = None
        self._builder = QueryBuilder()

    def locked(self) -> AbstractContextManager[None]:
        """Hold the engine's lock, waiting at most until the request's deadline."""
        return deadline.holding(self.lock)

    # -- index state ---------------------------------------------------------------------
    def state(self) -> _State:
        """The open index, reopened when a new build was switched in or an update committed.
        Call with `self.lock` held."""
        try:
            target = os.readlink(self.index_dir / CURRENT)
        except OSError:
            raise IndexNotBuilt(
                f"No index in {self.index_dir}: run "
                f"`python -m indexer build --index {self.index_dir} PATH...`."
            ) from None
        state = self._state
        if state is not None and state.key[0] == target and state.searcher.up_to_date():
            return state
        ix = open_index(self.index_dir)
        reader = ix.reader()
        postings = Postings(reader)
        docsets = DocSets(reader, postings)
        weighting = RobertsonBM25F(B=self.weights.b, K1=self.weights.k1)
        searcher = Searcher(reader, weighting=weighting, fromindex=ix)
        mesh_docs = bits_to_mask(docsets.term(f.TYPE, f.MESH_TYPE), docsets.size)
        kinds = np.zeros(docsets.size, dtype=np.int64)
        for code, kind in enumerate(f.TYPES):
            kinds[bits_to_mask(docsets.term(f.TYPE, kind), docsets.size)] = code
        ranker = Ranker(searcher, postings, docsets.live_mask, mesh_docs, kinds)
        if state is not None:
            state.searcher.close()
        key = (target, ix.latest_generation())
        view = WhooshView(searcher, docsets, key)
        self._state = _State(key, ix, searcher, docsets, ranker, view)
        return self._state

    def warm(self) -> None:
        """Open the index and fill the facet caches now rather than on the first request."""
        with self.locked():
            st = self.state()
            for d in FACETS:
                (st.docsets.table if d.high else st.docsets.field)(d.field)

    # -- search --------------------------------------------------------------------------
    def check(self, req: SearchRequest) -> None:
        """InvalidRequest when `search(req)` would refuse the request, found without searching
        (for HEAD requests)."""
        validate(req)
        if req.q.strip():
            with self.locked():
                st = self.state()
                query = to_whoosh(self._builder.parse(req.q).query)
                check_expansions(query, st.searcher.reader(), self.max_expanded)

    def search(self, req: SearchRequest, rerank: Rerank | None = None) -> SearchPage:
        validate(req)
        req = patient_request(req)
        with self.locked():
            return self._search(req, self.state(), rerank)

    def _search(self, req: SearchRequest, st: _State, rerank: Rerank | None = None) -> SearchPage:
        if req.q.strip():
            expander = MeshExpander(ViewMeshSource(st.view))
            parsed = self._builder.parse(
                req.q, expand=lambda t, **kw: expander.find(t, req.expand, **kw), mode=req.mode
            )
            tree, text, words = parsed.query, parsed.text, parsed.words
            expansions, reading = parsed.expansions, parsed.reading
        else:  # no words: browse everything the filters allow
            tree, text, words, expansions, reading = qt.Every(), "", (), (), None
        query = to_whoosh(tree)
        check_expansions(query, st.searcher.reader(), self.max_expanded)
        deadline.check()
        filters = filter_bits(st.docsets, req)  # what the selected facet values allow
        mask, scores = st.ranker.match(query, self.weights)
        matched = mask_to_bits(mask)
        allowed = matched & filters
        total = allowed.bit_count()
        partial = False
        if not total and req.q.strip() and parsed.loose is not None:
            tree, partial = parsed.loose, True  # no record has enough of the words: any of them
            query = to_whoosh(tree)
            mask, scores = st.ranker.match(query, self.weights)
            matched = mask_to_bits(mask)
            allowed = matched & filters
            total = allowed.bit_count()
        listed, shown, extra = bits_to_mask(allowed, st.docsets.size), scores, None
        more = 0
        if total and not partial and req.sort == "relevance" and req.q.strip() and parsed.loose:
            # after the records with enough of the words, those with some of them (ranked
            # below every one of the first; NFCorpus dev: dropping them cost 0.03 nDCG@10)
            loose_mask, loose_scores = st.ranker.match(to_whoosh(parsed.loose), self.weights)
            extra = loose_mask & ~mask & bits_to_mask(filters, mask.size)
            more = int(extra.sum())
            if more:
                shown = np.where(mask, scores, loose_scores)
                scores = np.where(mask, scores + shown.max() + 1.0, loose_scores)
                listed = listed | extra
        strong = None
        if req.sort != "relevance" and total and (core := core_query(tree)) is not None:
            strong = st.ranker.match(to_whoosh(core), self.weights)[0] & listed  # datesort.py
        if (
            total + more
            and reading is not None
            and feedback.wanted(reading.shape, req.sort, len(words))
        ):
            top = st.ranker.top(listed, scores, feedback.FEEDBACK_DOCS)
            extra_clause = feedback.from_top(
                top.tolist(), scores[top].tolist(), lambda d: self._record(st, d), len(words)
            )
            if extra_clause is not None:
                _, gained = st.ranker.match(to_whoosh(extra_clause), self.weights)
                if shown is scores:
                    scores = shown = np.where(listed, scores + gained, scores)
                else:
                    shown = np.where(listed, shown + gained, shown)
                    scores = np.where(listed, scores + gained, scores)
        patient = patient_of(req, reading)
        if patient and total:
            top = st.ranker.top(listed, scores, RERANK_DEPTH)
            record = lambda d: self._record(st, d)  # noqa: E731
            for docnum, factor in factors(top.tolist(), record, patient).items():
                scores[docnum] *= factor
                if shown is not scores:
                    shown[docnum] *= factor
            reading = replace(reading, eligible_first=True) if reading else None
        hits: tuple[Hit, ...] = ()
        if total + more and (req.page - 1) * req.size < total + more:
            plain = (
                to_whoosh(self._builder.parse(req.q, mode=req.mode).query)
                if req.q.strip()
                else query
            )
            hits = self._hits(st, plain, req, listed, scores, shown, extra, strong, rerank)
        facets = count_facets(
            st.docsets, req, matched, lambda n, v: self._labels(st, n, v), self.facet_limits
        )
        described = reading is not None and reading.shape == DESCRIPTION
        suggestion = suggest(st.view, text, words) if words and not described else None
        return SearchPage(
            request=req,
            total=total,
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            parsed=qt.describe(tree)[:4000] if text else "",
            expansions=expansions,
            partial=partial,
            more=more,
            strong=None if strong is None else int(strong.sum()),
            reading=reading,
        )

    # -- records -------------------------------------------------------------------------
    def get(self, record_id: str) -> dict[str, Any]:
        """The stored record with this id; DocumentNotFound if there is none."""
        with self.locked():
            st = self.state()
            docnum = st.searcher.document_number(**{f.ID: record_id})
            if docnum is None:
                raise DocumentNotFound(f"No record has the id {record_id!r}.")
            return f.unpack_record(st.searcher.stored_fields(docnum)[f.RECORD])

    def related(self, record_id: str, limit: int = 10, explicit: bool = True) -> Related:
        """Trials, articles and MeSH descriptors related to a record, each with its reason
        (search/related.py); DocumentNotFound if there is no such record."""
        with self.locked():
            return find_related(self.state().view, record_id, limit=limit, explicit=explicit)

    def mesh_overview(self, ui: str) -> Overview | None:
        """The MeSH page of a descriptor (None if `ui` is no descriptor)."""
        with self.locked():
            return overview(MeshBook(self.state().view), ui)

    def view(self) -> WhooshView:
        """The index view of the live version (search/view.py), for the neutral algorithms
        (and benchmarks and tests); read it with the lock held."""
        with self.locked():
            return self.state().view

    def status(self) -> dict[str, Any]:
        """Counts per type and the build's metadata (dates of the data and of the build)."""
        with self.locked():
            st = self.state()
            # live documents only (doc_frequency also counts records replaced by an update)
            counts = {t: st.docsets.term(f.TYPE, t).bit_count() for t in f.TYPES}
        meta = read_meta(self.index_dir)
        return {**meta, "counts": counts, "total": sum(counts.values()), "backend": "whoosh"}
