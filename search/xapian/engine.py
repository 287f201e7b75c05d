"""XapianReader, the Xapian backend's reader (search.backend.Reader): open the live build's
database, search it, fetch records (search/xapian/records.py).

A search asks Xapian twice: once for the whole match set (no scores, docid order: facet counts
and the exact total come from it, over search/xapian/tables.py's arrays) and once for the page
of best hits (BM25 with search/scoring.py's constants, the facet filters as boolean terms, the
MeSH prior as a scaled half of the query). The database is reopened when the `current` link
points at another build (builds never change once switched in).
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

import xapian

from search import deadline, feedback
from search import querytree as qt
from search.datesort import core_query
from search.eligibility import patient_of, patient_request
from search.errors import IndexNotBuilt
from search.expansion import MeshExpander
from search.facets import FACETS
from search.fairlock import FairLock
from search.models import (
    Expansion,
    Facet,
    Hit,
    Reading,
    SearchPage,
    SearchRequest,
)
from search.querymodel import DESCRIPTION
from search.related_mesh import ViewMeshSource
from search.requests import validate
from search.scoring import BM25_B, BM25_K1
from search.semantic.fusion import Rerank
from search.spelling import suggest
from search.store import CURRENT, current_build
from search.syntax import QueryBuilder
from search.xapian import facets as xfacets
from search.xapian.listing import Listing
from search.xapian.matchsets import MatchSets
from search.xapian.query import Translator
from search.xapian.records import Records
from search.xapian.shards import open_build
from search.xapian.tables import Tables
from search.xapian.view import XapianView


@dataclass
class _State:
    target: str
    db: xapian.Database
    tables: Tables
    translator: Translator
    labels: dict[str, str] = field(default_factory=dict)
    view: XapianView | None = None  # the neutral algorithms' view (search/view.py), when asked


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed query: the tree searched, the tree whose words snippets mark (without the MeSH
    alternatives), the cleaned text, its plain words (spelling) and the MeSH expansions."""

    tree: qt.Node
    plain: qt.Node
    text: str = ""
    words: tuple[str, ...] = ()
    expansions: tuple[Expansion, ...] = ()
    loose: qt.Node | None = None  # any of the concepts, when `tree` asks for most of them
    reading: Reading | None = None  # how the text was read (search/querymodel.py)


class XapianReader(Listing, MatchSets, Records):
    """Searches the live index; one open database serves every thread, one call at a time
    (a xapian.Database is not thread-safe). A call waits for the database, and searches, only
    until the request's deadline (search/deadline.py), then ends with SearchTimeout."""

    def __init__(
        self,
        index_dir: str | Path,
        b: float = BM25_B,
        k1: float = BM25_K1,
        facet_limit: int | None = None,
        max_expanded: int = qt.MAX_EXPANDED_TERMS,
        per_type: bool = True,
    ) -> None:
        """`facet_limit`: values listed per facet (default: each facet's own, 10 or 20);
        `max_expanded`: words the prefixes of one query may stand for together; `per_type`:
        idf per record type (search/xapian/typestats.py)."""
        self.index_dir = Path(index_dir)
        self.b, self.k1, self.per_type = b, k1, per_type
        self.max_expanded = max_expanded
        self.facet_limits = {d.name: facet_limit for d in FACETS} if facet_limit else None
        self.lock = FairLock()  # held by every public method while it reads the index
        self._state: _State | None = None
        self._builder = QueryBuilder()

    def locked(self) -> AbstractContextManager[None]:
        """Hold the reader's lock, waiting at most until the request's deadline."""
        return deadline.holding(self.lock)

    # -- index state -------------------------------------------------------------------------
    def state(self) -> _State:
        """The open database, reopened when another build was switched in (call under lock)."""
        try:
            target = os.readlink(self.index_dir / CURRENT)
        except OSError:
            target = ""
        state = self._state
        if state is not None and state.target == target:
            return state
        build = current_build(self.index_dir) if target else None
        if build is None:
            raise IndexNotBuilt(
                f"No index in {self.index_dir}: run "
                f"`python -m indexer build --index {self.index_dir} PATH...`."
            )
        db = open_build(build)  # one database, or its shards as one
        if state is not None:
            state.db.close()
        self._state = _State(
            target,
            db,
            Tables(db),
            Translator(db, self.k1, self.b, self.max_expanded, per_type=self.per_type),
        )
        return self._state

    def warm(self) -> None:
        with self.locked():
            st = self.state()
            st.tables.warm()
            st.translator.warm()

    # -- search ------------------------------------------------------------------------------
    def check(self, req: SearchRequest) -> None:
        """InvalidRequest when `search(req)` would refuse the request, found without searching
        (HEAD on an export): the parameters, the query's syntax and its prefixes' words."""
        validate(req)
        if req.q.strip():
            tree = self._builder.parse(req.q).query
            with self.locked():
                self.state().translator.check(tree)

    def search(self, req: SearchRequest, rerank: Rerank | None = None) -> SearchPage:
        """Parse the query (search/syntax.py, MeSH expansion from this index) and run it."""
        validate(req)
        req = patient_request(req)
        with self.locked():
            st = self.state()
            parsed = None
            if req.q.strip():
                expander = MeshExpander(ViewMeshSource(self._view(st)))
                found = self._builder.parse(
                    req.q, expand=lambda t, **kw: expander.find(t, req.expand, **kw), mode=req.mode
                )
                plain = (
                    self._builder.parse(req.q, mode=req.mode).query
                    if found.expansions
                    else found.query
                )
                parsed = Parsed(
                    found.query,
                    plain,
                    found.text,
                    found.words,
                    found.expansions,
                    found.loose,
                    found.reading,
                )
            return self._search(req, parsed, st, rerank)

    def search_parsed(self, req: SearchRequest, parsed: Parsed | None) -> SearchPage:
        """Run a parsed query (None: browse everything the filters allow)."""
        validate(req)
        with self.locked():
            return self._search(req, parsed, self.state())

    def _search(
        self, req: SearchRequest, parsed: Parsed | None, st: _State, rerank: Rerank | None = None
    ) -> SearchPage:
        st.translator.reset()
        tree = parsed.tree if parsed is not None else qt.Every()
        query, matched, allowed, total = self._match(st, req, tree)
        partial = False
        if not total and parsed is not None and parsed.loose is not None:
            tree, partial = parsed.loose, True  # no record has enough of the words: any of them
            query, matched, allowed, total = self._match(st, req, tree)
        more, extra, loose_query = 0, None, None
        if total and not partial and req.sort == "relevance" and parsed and parsed.loose:
            # after the records with enough of the words, those with some of them
            counted = None
            if rerank is None and total >= req.page * req.size:  # (else the mask lists them)
                counted = self._more(st, req, parsed.loose, total)
            if counted is None:
                loose_query, _, loose_allowed, _ = self._match(st, req, parsed.loose)
                extra = loose_allowed & ~allowed
            more = int(extra.sum()) if counted is None else counted
        strong = None
        if req.sort != "relevance" and total and (core := core_query(tree)) is not None:
            strong = self._match(st, req, core)[2]  # the strong matches (search/datesort.py)
        hits: tuple[Hit, ...] = ()
        plain = parsed.plain if parsed is not None else tree
        reading = parsed.reading if parsed is not None else None
        patient = patient_of(req, reading)
        ranked_tree, loose_tree = tree, parsed.loose if parsed is not None else None
        words = len(parsed.words) if parsed is not None else 0
        if total and reading is not None and feedback.wanted(reading.shape, req.sort, words):
            gained = self._feedback(st, req, tree, allowed, words)
            if gained is not None:
                ranked_tree = qt.AndMaybe(tree, gained)
                loose_tree = qt.AndMaybe(loose_tree, gained) if loose_tree is not None else None
        if rerank is not None and parsed is not None and req.sort == "relevance":
            if (req.page - 1) * req.size < total + more:
                trees = (ranked_tree, loose_tree)
                hits = self._fused_hits(st, req, parsed, trees, (allowed, extra), rerank, patient)
        elif total and (req.page - 1) * req.size < total:
            hits = self._hits(
                st, req, ranked_tree, query, allowed, plain, strong=strong, patient=patient
            )
        if patient and reading is not None:
            reading = replace(reading, eligible_first=True)
        if rerank is None and more and len(hits) < req.size:
            assert parsed is not None and parsed.loose is not None
            if extra is None:  # counted alone: the partial matches listed after the hits
                loose_query, _, loose_allowed, _ = self._match(st, req, parsed.loose)
                extra = loose_allowed & ~allowed
            start = max(0, (req.page - 1) * req.size - total)
            window = replace(req, page=1, size=req.size - len(hits))
            hits += self._hits(st, window, loose_tree, loose_query, extra, plain, start, tree)
        facets = xfacets.count_facets(
            st.tables, req, matched, lambda n, v: self._labels(st, n, v), self.facet_limits
        )
        counted = None if strong is None else int(strong.sum())
        return self._page(st, req, parsed, tree, total=total, hits=hits, facets=facets,
                          partial=partial, more=more, reading=reading, strong=counted)  # fmt: skip

    def _page(
        self,
        st: _State,
        req: SearchRequest,
        parsed: Parsed | None,
        tree: qt.Node,
        *,
        total: int,
        hits: tuple[Hit, ...],
        facets: tuple[Facet, ...],
        partial: bool,
        more: int,
        reading: Reading | None,
        strong: int | None = None,
    ) -> SearchPage:
        """The page of a search (here and on shards, search/xapian/shardsearch.py): a spelling
        suggestion for typed words, never for a description."""
        words = parsed.words if parsed is not None else ()
        text = parsed.text if parsed is not None else ""
        return SearchPage(
            request=req,
            total=total,
            hits=hits,
            facets=facets,
            suggestion=suggest(self._view(st), text, words)
            if words and (reading is None or reading.shape != DESCRIPTION)
            else None,
            parsed=qt.describe(tree)[:4000] if text else "",
            expansions=parsed.expansions if parsed is not None else (),
            partial=partial,
            more=more,
            strong=strong,
            reading=reading,
        )
