"""What related items read through Xapian matches rather than documents or posting lists
(search/xapian/related.py ranks with them): term frequencies many at a time (a match's
statistics), which of some terms given records hold (their weights are sums of 2**i:
CoordWeight, exact) and, in the same match, the listed records' titles (its sort key), the
records' ids and the newest records of a set (the docids' ids and dates, read once). Over
shards each is one round trip to every shard.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xapian

from search.bitsets import bits_to_mask
from search.view import Head, IndexView
from search.xapian.schema import MAX_TERM_BYTES, SLOT_DATE, SLOT_ID, SLOT_TITLE, id_term
from search.xapian.shards import RemoteShards
from search.xapian.tables import slot_numbers, slot_texts
from search.xapian.view import XapianView

Q = xapian.Query
BITS = 50  # terms told apart by one membership match (2**i weights stay exact in a double)
FREQUENCIES_KEPT = 200_000  # terms whose document frequency is kept per database


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
    """Documents holding at least `m` of the terms (1 <= m <= len(keys)). Over more than 3
    terms, split in halves: j of the first half's and m - j of the second's, for each j (2 of
    10 terms: 34 posting lists, where a term and one of those after it, for each term, took
    54; the shards' ranking matches of related items ~5% faster)."""
    if m == 1:
        return any_of([Q(k) for k in keys])
    if m == len(keys):
        return Q(Q.OP_AND, [Q(k) for k in keys])
    if len(keys) <= 3:
        return any_of(
            [
                Q(Q.OP_AND, Q(keys[i]), at_least(m - 1, keys[i + 1 :]))
                for i in range(len(keys) - m + 1)
            ]
        )
    half = len(keys) // 2
    first, second = keys[:half], keys[half:]
    parts = []
    for j in range(max(0, m - len(second)), min(m, len(first)) + 1):
        both = [at_least(j, first)] if j else []
        both += [at_least(m - j, second)] if m - j else []
        parts.append(both[0] if len(both) == 1 else Q(Q.OP_AND, both))
    return any_of(parts)


def bits_to_docs(bits: int) -> np.ndarray:
    """The documents of a bitset as an ascending array."""
    return np.flatnonzero(bits_to_mask(bits, bits.bit_length()))


def fits(key: str) -> bool:
    return len(key.encode("utf-8")) <= MAX_TERM_BYTES


class MatchReads:
    """The reads of one Xapian database (or its shards)."""

    def __init__(
        self, db: xapian.Database, dates: np.ndarray | None = None, ids: np.ndarray | None = None
    ) -> None:
        """`dates`, `ids`: each docid's `date` number and record id, as the reader's tables
        hold them (None: read from the date and id slots when first wanted)."""
        self.db = db
        self._dates = dates
        self._ids = ids
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

    def read_ahead(self, view: IndexView, record_ids: Sequence[str]) -> None:
        """Shards: the documents of these records (those not kept yet), which are about to be
        looked up and read, in one match and one batch per shard (MSet.fetch), kept with their
        docids, where each one's docid and document took a round trip each (a record's MeSH
        descriptors and references at 10x: ~10-30 a record not seen before)."""
        keep = getattr(self.db, "keep_document", None)
        if keep is None or not isinstance(view, XapianView):
            return
        wanted = [
            i for i in dict.fromkeys(record_ids) if i and fits(id_term(i)) and not view.kept(i)
        ]
        if not wanted:
            return
        enquire = xapian.Enquire(self.db)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        enquire.set_query(any_of([Q(id_term(i)) for i in wanted]))
        mset = enquire.get_mset(0, len(wanted))
        if mset.size():
            mset.fetch()
        found = {}
        for item in mset:
            found[item.document.get_value(SLOT_ID).decode("utf-8")] = item.docid
            keep(item.docid, item.document)
        view.keep_docnums(found)

    def record_ids(self, docids: Sequence[int]) -> list[str]:
        """The record ids of documents, from the ids array: no document read."""
        if self._ids is None:
            self._ids = slot_texts(self.db, SLOT_ID)
        return [self._ids[d].decode("utf-8") for d in docids]

    def held(self, docids: Sequence[int], ids: Sequence[str], keys: Sequence[str]) -> list[int]:
        """For each document (`docids`, whose record ids are `ids`), a bitset of the `keys` it
        holds: matches restricted to those records whose weights are sums of 2**i."""
        return self._held(docids, ids, keys, None)

    def listed(
        self, docids: Sequence[int], keys: Sequence[str], kind: str
    ) -> tuple[list[int], list[Head]]:
        """`held` for the listed records of type `kind` and each one's head: its id from the
        ids array, its title the sort key of the first match (which lists every record: by
        weight, then title). The ranking is not matched again for them (over shards it was,
        down to the last one's weight, with the ids as collapse keys), nor a document read."""
        ids = self.record_ids(docids)
        titles: dict[int, str] = {}
        found = self._held(docids, ids, keys, titles)
        heads = [Head(i, kind, titles[d]) for d, i in zip(docids, ids, strict=True)]
        return found, heads

    def _held(
        self,
        docids: Sequence[int],
        ids: Sequence[str],
        keys: Sequence[str],
        titles: dict[int, str] | None,
    ) -> list[int]:
        """held; and when `titles` is a dict, each record's title put in it (the first match
        lists every record: its id terms as a boolean part)."""
        found = dict.fromkeys(docids, 0)
        if not docids:
            return []
        records = any_of([Q(id_term(i)) for i in ids])
        for start in range(0, max(len(keys), 1), BITS):
            chunk = keys[start : start + BITS]
            held = [Q(Q.OP_SCALE_WEIGHT, Q(k), float(2**i)) for i, k in enumerate(chunk) if fits(k)]
            titled = titles is not None and start == 0
            if not held and not titled:
                continue
            enquire = xapian.Enquire(self.db)
            enquire.set_weighting_scheme(xapian.CoordWeight())
            if titled:
                every = Q(Q.OP_SCALE_WEIGHT, records, 0.0)
                enquire.set_query(Q(Q.OP_AND_MAYBE, every, any_of(held)) if held else every)
                enquire.set_sort_by_relevance_then_value(SLOT_TITLE, False)
            else:
                enquire.set_query(Q(Q.OP_FILTER, any_of(held), records))
            mset = enquire.get_mset(0, len(docids))
            for i in range(mset.size()):
                hit = mset._get_hit_internal(i)
                d = hit.get_docid()
                if d in found:
                    found[d] |= round(hit.get_weight()) << start
                    if titled:
                        titles[d] = hit.get_sort_key().decode("utf-8")
        return [found[d] for d in docids]
