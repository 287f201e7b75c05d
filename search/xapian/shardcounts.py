"""The counts of a search on shards (search/xapian/shardsearch.py): its exact total, the value
counts every facet is shown with, and the count of the partial matches after the full ones.
Sent to the count servers (search/xapian/counters.py; a local build's shards:
search/xapian/localcounters.py) before the page is ranked and read after it; without them,
counted by the shard servers, one unscored match per set of facet selections with a match spy
per facet slot (search/xapian/shardfacets.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import xapian

from search import fields as f
from search import querytree as qt
from search.facets import BY_NAME, FACETS
from search.models import SearchRequest
from search.xapian import facets as xfacets
from search.xapian.counters import Counters, Pending
from search.xapian.counting import EVERY_TYPE, MAX_RANGES, Group
from search.xapian.localcounters import Done
from search.xapian.matching import boolean, ranged

if TYPE_CHECKING:
    from search.xapian.engine import _State

Filters = tuple[tuple[str, tuple[str, ...]], ...]


def active(req: SearchRequest) -> Filters:
    """The request's facet selections that filter (known facets with values)."""
    return tuple((n, v) for n, v in req.filters if v and n in BY_NAME)


class ShardCounts:
    """ShardSearch's counting half (its state and settings are the reader's)."""

    def _counters(self, st: _State) -> tuple[Counters, list[str]] | None:
        """The count servers of the shards and the build of each the state holds (None: the
        shards count with match spies)."""
        return None

    @staticmethod
    def _groups(req: SearchRequest) -> dict[Filters, list[str]]:
        """The facet selections each facet is counted within (the OTHER facets'), the fields
        counted within each, "type" also over all the matches (EVERY_TYPE: which types are
        present); the request's own selections' group first (its count is the total)."""
        filters = active(req)
        groups: dict[Filters, list[str]] = {filters: []}
        for d in FACETS:
            others = tuple(x for x in filters if x[0] != d.name)
            groups.setdefault(others, []).append(d.field)
        if f.TYPE not in groups.get((), []):
            groups.setdefault((), []).append(EVERY_TYPE)
        return groups

    def _send_counts(
        self,
        servers: tuple[Counters, list[str]],
        st: _State,
        req: SearchRequest,
        tree: qt.Node,
        loose: qt.Node | None,
    ) -> tuple[Pending | Done, Callable[[], tuple[int, dict[str, Counter[str]], int]]]:
        """Send `tree`'s counts (and with `loose`, the count of the partial matches after the
        full ones) to the count servers: what was sent (`abandon` it if it will not be read),
        and the call that reads the total, the counts and that count (0 when there is no full
        match)."""
        groups = [Group(others, tuple(fields)) for others, fields in self._groups(req).items()]
        filters = active(req)
        main, ranges = ranged(st.translator, tree, MAX_RANGES)
        if loose is not None:
            # the loose tree's matches hold the full ones (search/syntax.py: the same concepts,
            # fewer required), so without filters the partial matches are its total less the
            # full one, counted without reading its docids; with filters (or ranges), its
            # matches less the full ones (`tree` matched once)
            loose_query, loose_ranges = ranged(st.translator, loose, MAX_RANGES)
            minus = bool(filters or loose_ranges)
            groups.append(Group(filters, (), loose_query, minus, loose_ranges))
        pending = servers[0].send(main, groups, servers[1], ranges)

        def read() -> tuple[int, dict[str, Counter[str]], int]:
            found = pending.result()
            counts: dict[str, Counter[str]] = {}
            for c in found[: len(found) - (loose is not None)]:
                counts.update(c.counts)
            counts.setdefault(EVERY_TYPE, counts[f.TYPE])
            total = found[0].total  # (the request's own filters' group comes first)
            if loose is None or not total:
                return total, counts, 0
            return total, counts, found[-1].total - (0 if groups[-1].minus else total)

        return pending, read

    def _counted(
        self, st: _State, req: SearchRequest, tree: qt.Node
    ) -> tuple[int, dict[str, Counter[str]]]:
        """`tree`'s exact total and the value counts every facet is shown with (_groups), from
        unscored matches: on the count servers when there are (one request each for every
        group), else with a match spy per field and a match per group."""
        servers = self._counters(st)
        if servers is not None:
            return self._send_counts(servers, st, req, tree, None)[1]()[:2]
        filters = active(req)
        counts: dict[str, Counter[str]] = {}
        total = 0
        for others, fields in self._groups(req).items():  # the request's own filters' group first
            within = replace(req, filters=others)
            enquire = self._enquire(st)
            enquire.set_weighting_scheme(xapian.BoolWeight())
            enquire.set_query(self._matching(st, within, tree))
            counted, spies = self._spied(st, enquire, fields)
            counts.update(spies)
            if others == filters:
                total = counted.get_matches_estimated()
        counts.setdefault(EVERY_TYPE, counts[f.TYPE])
        return total, counts

    def _matching(self, st: _State, req: SearchRequest, tree: qt.Node) -> xapian.Query:
        """The matches of `tree` the request's filters allow, unscored."""
        q = xapian.Query
        # no posting source (a scored query carries every field length's weight: megabytes
        # to send, and a Translator of its own read every length of every shard)
        query = boolean(st.translator, tree)
        filters = xfacets.filter_query(req, st.tables)
        return query if filters is None else q(q.OP_FILTER, query, filters)

    def _count(self, st: _State, req: SearchRequest, tree: qt.Node) -> int:
        enquire = self._enquire(st)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        enquire.set_query(self._matching(st, req, tree))
        return enquire.get_mset(0, 0, st.db.get_doccount()).get_matches_estimated()
