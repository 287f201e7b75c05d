"""Searching shards with the counting done beside each shard.

XapianReader counts a search's total and facets over the whole match set, pulled into the
reader as a mask of docids (search/xapian/tables.py). Over `xapian-tcpsrv` that is every
matching docid of every shard through the network for each query, and the cost grows with the
corpus. ShardSearch (the base of the readers of search/xapian/remote.py and local.py) has each
shard count its own matches, exactly, and adds the counts up (search/xapian/shardcounts.py):
its count server's when there are (search/xapian/counters.py: NumPy over the shard's arrays; a
local build's shards are counted so in this process), sent before the page is ranked and read
after it; else the shard server's, one unscored match per set of facet filters with a
xapian.ValueCountMatchSpy per facet slot and `check_at_least` = every document
(search/xapian/shardfacets.py). The page of hits comes from a ranking of its own, which Xapian
prunes (a ranking that counted every match scored them all, on every shard), and its documents
are fetched in one batch.

The same counts as XapianReader's, the same scores and order: tests/test_shards.py compares
both with one database of the same records. The requests this does not serve (date sorts,
semantic re-ranking, patient mode, "m of n" too wide to translate) go to XapianReader's path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import xapian

from search import feedback, spelling
from search import fields as f
from search import querytree as qt
from search.eligibility import patient_of
from search.models import Reading, SearchPage, SearchRequest
from search.semantic.fusion import Rerank
from search.xapian import termstats
from search.xapian.counters import Counters
from search.xapian.engine import XapianReader
from search.xapian.matching import needs_masks
from search.xapian.query import weighting
from search.xapian.shardcounts import ShardCounts
from search.xapian.shardfacets import ShardFacets
from search.xapian.shards import RemoteShards

if TYPE_CHECKING:
    from search.xapian.engine import Parsed, _State

RANKING_FACETS = (f.TYPE, f.START_YEAR, f.PUB_YEAR)  # facet values a relevance ranking reads


class ShardSearch(ShardCounts, ShardFacets, XapianReader):
    """XapianReader whose searches count on the shards (see the module's docstring) when its
    database is made of shards (RemoteShards: remote, or local ones each in its own process);
    one database is searched as XapianReader searches it."""

    def _served(self, req: SearchRequest, parsed: Parsed | None, rerank: Rerank | None) -> bool:
        if rerank is not None or req.sort != "relevance":
            return False
        reading = parsed.reading if parsed is not None else None
        if patient_of(req, reading):
            return False
        trees = (parsed.tree, parsed.loose) if parsed is not None else ()
        return not any(t is not None and needs_masks(t) for t in trees)

    def warm(self) -> None:
        """As XapianReader's; but when counters count (count servers, or a local build's
        shards: their own arrays), only the facets the ranking reads (RANKING_FACETS) and the
        fields' lengths: the other facets are read the first time a request the counters do
        not serve needs them (a date sort)."""
        with self.locked():
            st = self.state()
            counters = self._counters(st)
            if counters is None:
                st.tables.warm()
            else:
                for field in RANKING_FACETS:
                    st.tables.facet(field)
                counters[0].warm()
            st.translator.sources.warm()
            if isinstance(st.db, RemoteShards):  # (a correction walks a letter's words)
                self._view(st).keep_vocabulary(f.SPELL, spelling.PREFIX)

    def _search(
        self, req: SearchRequest, parsed: Parsed | None, st: _State, rerank: Rerank | None = None
    ) -> SearchPage:
        if not isinstance(st.db, RemoteShards) or not self._served(req, parsed, rerank):
            return super()._search(req, parsed, st, rerank)
        st.translator.reset()
        first = (req.page - 1) * req.size
        tree = parsed.tree if parsed is not None else qt.Every()
        loose = parsed.loose if parsed is not None else None
        reading = parsed.reading if parsed is not None else None
        words = len(parsed.words) if parsed is not None else 0
        servers = self._counters(st)
        partial, more = False, 0
        if servers is not None:  # the count servers count while the shards rank the page
            self._prefetch(servers, st, (tree, loose))
            pending, read = self._send_counts(servers, st, req, tree, loose)
            try:
                ranked = self._rank_page(st, req, tree, loose, reading, words, first, None)
            except BaseException:  # (a shard down, the deadline): their answers stay unread
                pending.abandon()
                raise
            total, counts, more = read()
            if not total and loose is not None:
                tree, partial = loose, True  # no record has enough of the words: any of them
                total, counts = self._counted(st, req, tree)
                ranked = self._rank_page(st, req, tree, loose, reading, words, first, total)
        else:
            total, counts = self._counted(st, req, tree)
            if not total and loose is not None:
                tree, partial = loose, True
                total, counts = self._counted(st, req, tree)
            if total and not partial and loose is not None:  # (loose holds tree: read)
                more = self._count(st, req, loose) - total
            ranked = self._rank_page(st, req, tree, loose, reading, words, first, total)
        loose_tree, mset = ranked
        if first >= total:
            mset = None
        plain = parsed.plain if parsed is not None else tree
        docids = [m.docid for m in mset] if mset is not None else []
        scores = {m.docid: m.weight for m in mset} if mset is not None else {}
        hits = self._render(st, req, docids, scores, plain, set())
        if more and len(hits) < req.size and loose_tree is not None:
            start = max(0, first - total)
            extra, extra_scores = self._after(st, req, tree, loose_tree, start,
                                              req.size - len(hits))  # fmt: skip
            hits += self._render(st, req, extra, extra_scores, plain, set(extra))
        facets = self._facets(st, req, counts)
        return self._page(st, req, parsed, tree, total=total, hits=hits, facets=facets,
                          partial=partial, more=more, reading=reading)  # fmt: skip

    def _rank_page(
        self,
        st: _State,
        req: SearchRequest,
        tree: qt.Node,
        loose: qt.Node | None,
        reading: Reading | None,
        words: int,
        first: int,
        total: int | None,
    ) -> tuple[qt.Node | None, xapian.MSet | None]:
        """The page's ranking of `tree` (its documents read), with the feedback clause when
        the query's shape asks for it, and the loose tree ranked alike. `total` None: not
        known yet (counted meanwhile): ranked all the same (no match: nothing ranked)."""
        ranked_tree, loose_tree = tree, loose
        if total != 0 and reading is not None and feedback.wanted(reading.shape, req.sort, words):
            gained = self._feedback(st, req, tree, st.tables.live, words)
            servers = self._counters(st) if gained is not None else None
            if servers is not None:
                self._prefetch(servers, st, (gained,))
            if gained is not None:  # the same matches, ranked with the clause
                ranked_tree = qt.AndMaybe(tree, gained)
                loose_tree = qt.AndMaybe(loose, gained) if loose is not None else None
        if total is not None and first >= total:
            return loose_tree, None
        # the page from a ranking of its own, which prunes (the counting matches are unscored)
        mset = self._ranking(st, req, ranked_tree, first, req.size)
        self._fetch(st, mset)
        return loose_tree, mset

    @staticmethod
    def _prefetch(
        servers: tuple[Counters, list[str]], st: _State, trees: tuple[qt.Node | None, ...]
    ) -> None:
        """The statistics translating `trees` asks for (those not kept yet), and the postings
        of its field words held by few documents, from the count servers in one request each
        (search/xapian/termstats.py), where each would be a round trip to every shard."""
        db, types, held = st.db, st.translator.types, st.translator.sources.held
        terms, prefixes = termstats.wanted(trees)
        words = [w for w in termstats.held_of(prefixes) if not held.knows(w)]
        terms = [t for t in terms if not (db.knows_termfreq(t) and (not types or types.knows(t)))]
        prefixes = [p for p in prefixes if not db.knows_terms(p)]
        if terms or prefixes or words:
            answer = servers[0].stats(terms, prefixes, servers[1], words)
            termstats.remember(answer, db, types, held)

    def _fetch(self, st: _State, mset: xapian.MSet) -> None:
        """The page's documents from the count servers when there are (each reads its own
        shard's: one request each, any page), else as one database's (MSet.fetch)."""
        servers = self._counters(st) if isinstance(st.db, RemoteShards) else None
        if servers is None:
            return super()._fetch(st, mset)
        docids = [m.docid for m in mset if not st.db.knows_document(m.docid)]
        if docids:
            for docid, doc in servers[0].documents(docids, servers[1]).items():
                st.db.keep_document(docid, doc)

    # -- the page ranked on the shards (counted: search/xapian/shardcounts.py) -------------
    def _enquire_ranked(self, st: _State, req: SearchRequest, tree: qt.Node) -> xapian.Enquire:
        enquire = self._enquire(st)
        enquire.set_weighting_scheme(weighting(self.k1, self.b))
        enquire.set_query(self._ranked(st, tree, req))
        return enquire

    def _ranking(
        self, st: _State, req: SearchRequest, tree: qt.Node, first: int, size: int
    ) -> xapian.MSet:
        """`size` matches of `tree`'s ranking from `first` (pruned: search/xapian/query.py
        sends no OP_AND_MAYBE, the form Xapian 1.4.26 crashed pruning)."""
        return self._enquire_ranked(st, req, tree).get_mset(first, size)

    def _after(
        self,
        st: _State,
        req: SearchRequest,
        tree: qt.Node,
        loose_tree: qt.Node,
        start: int,
        count: int,
    ) -> tuple[list[int], dict[int, float]]:
        """`count` partial matches (of `loose_tree`, not of `tree`) from `start`, in the
        loose ranking: a ranking of `loose_tree` AND NOT `tree`, whose weights are the loose
        tree's (Xapian weighs an AND_NOT by its left side), so it is pruned like the page's
        and reads no full match (it used to rank total + start + count loose matches and
        drop the full ones, read apart)."""
        mset = self._ranking(st, req, qt.AndNot(loose_tree, tree), start, count)
        self._fetch(st, mset)
        return [m.docid for m in mset], {m.docid: m.weight for m in mset}
