"""The match sets of XapianReader's searches (search/xapian/engine.py takes this in): a tree's
matches as a mask over docids (no scores, docid order: the exact total and the facet counts
come from it, over search/xapian/tables.py's arrays), the part the facet filters allow, and the
feedback clause drawn from the best of them (search/feedback.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xapian

from search import deadline, feedback
from search import fields as f
from search import querytree as qt
from search.errors import InvalidRequest
from search.facets import BY_NAME
from search.models import SearchRequest
from search.xapian import facets as xfacets
from search.xapian.listing import InMask
from search.xapian.matching import boolean, needs_masks, number_range, ranges_apart
from search.xapian.query import weighting
from search.xapian.shards import ranked_within
from search.xapian.tables import counted, mset_mask

if TYPE_CHECKING:
    from search.xapian.engine import _State


class MatchSets:
    """The match-set half of XapianReader (its state and settings are the reader's)."""

    k1: float
    b: float

    def _feedback(
        self, st: _State, req: SearchRequest, tree: qt.Node, allowed: np.ndarray, words: int
    ) -> qt.Node | None:
        """The feedback clause from the best records of `tree` (search/feedback.py)."""
        enquire = self._enquire(st)
        enquire.set_weighting_scheme(weighting(self.k1, self.b))
        enquire.set_query(self._ranked(st, tree, req, allowed))
        k = feedback.FEEDBACK_DOCS
        if needs_masks(tree):  # (shards: see ranked_within)
            mset = ranked_within(enquire, st.db, 0, k, allowed, InMask(allowed))
        else:
            mset = enquire.get_mset(0, k)
            self._fetch(st, mset)  # (shards: the records in one batch, not a round trip each)
        docids = [m.docid for m in mset]
        return feedback.from_top(
            docids,
            [m.weight for m in mset],
            lambda d: f.unpack_record(st.db.get_document(d).get_data()),
            words,
        )

    def _fetch(self, st: _State, mset: xapian.MSet) -> None:
        """Read the documents of a page in one batch (each shard answers them together). Not
        from an MSet that starts past its first match: Xapian 1.4.26's MSet.fetch() then
        crashes the process (SIGSEGV; tests/test_shards.py asks for a second page)."""
        keep = getattr(st.db, "keep_document", None)
        if keep is None or not mset.size() or mset.get_firstitem():
            return
        mset.fetch()
        for item in mset:
            keep(item.docid, item.document)

    def _match(
        self, st: _State, req: SearchRequest, tree: qt.Node
    ) -> tuple[xapian.Query | None, np.ndarray, np.ndarray, int]:
        """The query, its match set, the part the facet filters allow, and its size."""
        deadline.check()
        if isinstance(tree, qt.Every):
            query, matched = None, st.tables.live.copy()
        else:
            query = boolean(st.translator, tree)
            matched = self._mask(st, tree) if needs_masks(tree) else self._ranged(st, tree, query)
        deadline.check()
        allowed = matched & xfacets.filter_mask(st.tables, req)
        return query, matched, allowed, int(allowed.sum())

    def _more(self, st: _State, req: SearchRequest, loose: qt.Node, total: int) -> int | None:
        """The number of partial matches: those of `loose` (which holds every one of the
        `total` full matches: it asks for any of their concepts) less the full ones, counted
        by Xapian without reading out their docids (a match set of 30,000 common-word matches
        read into a mask: ~11 ms, counted: ~1.5). None when it is not counted so: facet
        selections (a mask), an "m of n" too wide or numeric ranges (the match set is made
        from masks and the tables), a document without an id (not in `tables.live`)."""
        if any(values and name in BY_NAME for name, values in req.filters) or needs_masks(loose):
            return None
        if ranges_apart(loose)[0]:
            return None
        if isinstance(loose, qt.Every) or np.count_nonzero(st.tables.live) != st.db.get_doccount():
            return None
        deadline.check()
        try:
            mset = counted(st.db, boolean(st.translator, loose))
        except xapian.WildcardError:
            raise InvalidRequest(
                f"A prefix in the query stands for more than {qt.MAX_EXPANSIONS:,} words: "
                "type more letters before the *."
            ) from None
        found = mset.get_matches_lower_bound()
        if found != mset.get_matches_upper_bound() or found < total:
            return None  # (not exact, or the full matches are not all among them)
        return found - total

    def _ranged(self, st: _State, tree: qt.Node, query: xapian.Query) -> np.ndarray:
        """The matches of `tree` (translated: `query`); an And's numeric ranges (year:A..B)
        taken from the tables' values and AND'ed with its other parts' matches: Xapian 1.4.26
        checked a range for every document of an OR holding a phrase ("evaluation equations
        independent year:1977..1981" on the full data: 24.7 ms, 3.8 ms so)."""
        ranges, rest = ranges_apart(tree)
        if ranges and rest is not None:
            mask = self._matches(st, boolean(st.translator, rest))
            for found in ranges:
                mask &= st.tables.in_range(*found)
            return mask
        if (found := number_range(tree)) is not None:
            return st.tables.in_range(*found)
        return self._matches(st, query)

    def _mask(self, st: _State, node: qt.Node) -> np.ndarray:
        """The match set of a tree from its parts' (for an "m of n" too wide to translate)."""
        deadline.check()
        if isinstance(node, (qt.Or, qt.And, qt.DisMax)):
            masks = [self._mask(st, c) for c in node.children]
            if isinstance(node, qt.And):
                return np.logical_and.reduce(masks)
            if isinstance(node, qt.Or) and node.minimum:
                return np.sum(masks, axis=0) >= node.minimum
            return np.logical_or.reduce(masks)
        if isinstance(node, qt.AndNot):
            return self._mask(st, node.positive) & ~self._mask(st, node.negative)
        if isinstance(node, qt.AndMaybe):
            return self._mask(st, node.required)
        if isinstance(node, qt.Every):
            return st.tables.live.copy()
        if (found := number_range(node)) is not None:
            return st.tables.in_range(*found)
        return self._matches(st, boolean(st.translator, node))

    def _enquire(self, st: _State) -> xapian.Enquire:
        enquire = xapian.Enquire(st.db)
        enquire.set_docid_order(xapian.Enquire.ASCENDING)
        return enquire

    def _matches(self, st: _State, query: xapian.Query) -> np.ndarray:
        """The mask of every document the query matches."""
        enquire = self._enquire(st)
        enquire.set_query(query)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        try:
            mset = enquire.get_mset(0, st.db.get_doccount())
        except xapian.WildcardError:
            raise InvalidRequest(
                f"A prefix in the query stands for more than {qt.MAX_EXPANSIONS:,} words: "
                "type more letters before the *."
            ) from None
        return mset_mask(mset, st.tables.size)
