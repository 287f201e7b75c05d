"""What related items read through Xapian matches rather than documents or posting lists
(search/xapian/related.py ranks with them): term frequencies many at a time (a match's
statistics), which of some terms given records hold (their weights are sums of 2**i:
CoordWeight, exact), the listed records' ids and titles (collapse and sort keys), the newest
records of a set (the docids' dates). Over shards each is one round trip to every shard.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xapian

from search.bitsets import bits_to_mask
from search.view import Head, IndexView
from search.xapian.schema import MAX_TERM_BYTES, SLOT_DATE, SLOT_ID, SLOT_TITLE, id_term
from search.xapian.shards import RemoteShards
from search.xapian.tables import slot_numbers

Q = xapian.Query
BITS = 50  # terms told apart by one membership match (2**i weights stay exact in a double)
FREQUENCIES_KEPT = 200_000  # terms whose document frequency is kept per database
HEADS_SLACK = 10  # x limit: the records tied with the last listed one that the heads match reads


def at_or_above(mset: xapian.MSet, floor: float) -> int:
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


def any_of(queries: Sequence[xapian.Query]) -> xapian.Query:
    return queries[0] if len(queries) == 1 else Q(Q.OP_OR, list(queries))


def at_least(m: int, keys: Sequence[str]) -> xapian.Query:
    """Documents holding at least `m` of the terms (1 <= m <= len(keys)): a term and m - 1 of
    those after it, for each term that has m - 1 after it."""
    if m == 1:
        return any_of([Q(k) for k in keys])
    return any_of(
        [Q(Q.OP_AND, Q(keys[i]), at_least(m - 1, keys[i + 1 :])) for i in range(len(keys) - m + 1)]
    )


def bits_to_docs(bits: int) -> np.ndarray:
    """The documents of a bitset as an ascending array."""
    return np.flatnonzero(bits_to_mask(bits, bits.bit_length()))


def fits(key: str) -> bool:
    return len(key.encode("utf-8")) <= MAX_TERM_BYTES


class MatchReads:
    """The reads of one Xapian database (or its shards)."""

    def __init__(self, db: xapian.Database, dates: np.ndarray | None = None) -> None:
        """`dates`: each docid's `date` number, as the reader's tables hold it (None: read
        from the date slot when first wanted)."""
        self.db = db
        self._dates = dates
        self._sharded = isinstance(db, RemoteShards)
        self._frequencies: dict[str, int] = {}

    def frequencies_of(self, keys: Sequence[str]) -> dict[str, int]:
        """Documents holding each term: over shards those not known yet in one match (its
        statistics), not a round trip each."""
        if not self._sharded:
            return {k: self.db.get_termfreq(k) if fits(k) else 0 for k in keys}
        wanted = [k for k in dict.fromkeys(keys) if k not in self._frequencies and fits(k)]
        if wanted:
            enquire = xapian.Enquire(self.db)
            enquire.set_weighting_scheme(xapian.BoolWeight())
            enquire.set_query(any_of([Q(k) for k in wanted]))
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
            self._dates = slot_numbers(self.db, SLOT_DATE, 0)
        docs = bits_to_docs(bits)
        order = np.lexsort((docs, -self._dates[docs]))  # newest first, then the lower docid
        return docs[order[:n]].tolist()

    def held(self, docids: Sequence[int], ids: Sequence[str], keys: Sequence[str]) -> list[int]:
        """For each document (`docids`, whose record ids are `ids`), a bitset of the `keys` it
        holds: matches restricted to those records whose weights are sums of 2**i."""
        found = dict.fromkeys(docids, 0)
        if not docids or not keys:
            return [0] * len(docids)
        records = any_of([Q(id_term(i)) for i in ids])
        for start in range(0, len(keys), BITS):
            chunk = keys[start : start + BITS]
            held = [Q(Q.OP_SCALE_WEIGHT, Q(k), float(2**i)) for i, k in enumerate(chunk) if fits(k)]
            if not held:
                continue
            enquire = xapian.Enquire(self.db)
            enquire.set_weighting_scheme(xapian.CoordWeight())
            enquire.set_query(Q(Q.OP_FILTER, any_of(held), records))
            for item in enquire.get_mset(0, len(docids)):
                if item.docid in found:
                    found[item.docid] |= round(item.weight) << start
        return [found[d] for d in docids]

    def heads(
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
