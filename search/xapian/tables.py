"""Per-document arrays of one opened database, read once from its value slots: which docids are
live, their type, dates, and every facet's values as (docid, value) pairs. Facet counts and
filters are then NumPy operations over a boolean mask of docids (index = Xapian docid), the
same counting the Whoosh backend does over its bitsets."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

import numpy as np
import xapian

from search import fields as f
from search.xapian.schema import (
    FACET_SLOTS,
    NUMBER_SLOTS,
    SLOT_DATE,
    SLOT_DATE_ASC,
    SLOT_ID,
    SLOT_UPDATED,
)

TERM_CACHE_SIZE = 5_000
# A facet is counted from its matching documents' own values (their rows, in docid order) when
# they are fewer than this share of its (docid, value) pairs; else over all pairs at once.
SPARSE_SHARE = 0.25
# The matching documents' values are counted with np.bincount (no sort: a MeSH facet of 39,172
# matches on the full data sorted 600,000 values per count, ~5 ms) when they are at least
# 1/BINCOUNT_SHARE of the facet's distinct values; fewer, with np.unique (no table of every value).
BINCOUNT_SHARE = 8


def slot_numbers(db: xapian.Database, slot: int, missing: int) -> np.ndarray:
    """Each docid's number in a sortable-serialised value slot (`missing` where it has none)."""
    out = np.full(db.get_lastdocid() + 1, missing, dtype=np.int64)
    for item in db.valuestream(slot):
        out[item.docid] = int(xapian.sortable_unserialise(item.value))
    return out


def mset_mask(mset: xapian.MSet, size: int) -> np.ndarray:
    """The docids of a match as a boolean mask of `size` docids."""
    mask = np.zeros(size, dtype=bool)
    mask[np.fromiter(map(mset.get_docid, range(mset.size())), np.int64, mset.size())] = True
    return mask


def match_mask(
    db: xapian.Database, query: xapian.Query, size: int, at_most: int | None = None
) -> np.ndarray:
    """The documents `query` matches, unscored (at most `at_most`; None: every one), as a
    mask of `size` docids."""
    enquire = xapian.Enquire(db)
    enquire.set_weighting_scheme(xapian.BoolWeight())
    enquire.set_docid_order(xapian.Enquire.ASCENDING)
    enquire.set_query(query)
    mset = enquire.get_mset(0, max(1, db.get_doccount()) if at_most is None else at_most)
    return mset_mask(mset, size)


class Tables:
    def __init__(self, db: xapian.Database) -> None:
        self.size = db.get_lastdocid() + 1
        self.live = np.zeros(self.size, dtype=bool)
        for item in db.valuestream(SLOT_ID):
            self.live[item.docid] = True
        self.numbers = {
            f.DATE: self._numbers(db, SLOT_DATE, 0),
            f.DATE_ASC: self._numbers(db, SLOT_DATE_ASC, 99_999_999),
            f.UPDATED: self._numbers(db, SLOT_UPDATED, 0),
        }
        self._db = db
        self._facets: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._index: dict[str, dict[str, int]] = {}
        self._masks: dict[tuple[str, str], np.ndarray] = {}
        self._rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._values: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def _numbers(self, db: xapian.Database, slot: int, missing: int) -> np.ndarray:
        return slot_numbers(db, slot, missing)

    def in_range(self, field: str, low: int | None, high: int | None) -> np.ndarray:
        """The mask of documents whose number in a NUMBER_SLOTS field is within low..high (None:
        open), as search/xapian/matching.py value_range matches them (a document without the
        value only when both ends are open): NumPy over the slot's values read once, where
        Xapian 1.4.26 checked the range for each document of a big OR holding a phrase."""
        found = self._values.get(field)
        if found is None:
            with self._lock:
                values = np.zeros(self.size, dtype=np.float64)
                held = np.zeros(self.size, dtype=bool)
                for item in self._db.valuestream(NUMBER_SLOTS[field]):
                    values[item.docid] = xapian.sortable_unserialise(item.value)
                    held[item.docid] = True
                found = self._values[field] = (values, held)
        values, held = found
        if low is None and high is None:  # Xapian's VALUE_GE from b"": every document
            return self.live.copy()
        mask = held.copy()
        if low is not None:
            mask &= values >= low
        if high is not None:
            mask &= values <= high
        return mask

    def facet(self, field: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """A facet field's distinct values and its (docid, value index) pairs as two arrays."""
        table = self._facets.get(field)
        if table is None:
            with self._lock:
                index: dict[str, int] = {}
                docs: list[int] = []
                which: list[int] = []
                for item in self._db.valuestream(FACET_SLOTS[field]):
                    for v in item.value.decode("utf-8").split(f.VALUE_SEP):
                        if v:
                            docs.append(item.docid)
                            which.append(index.setdefault(v, len(index)))
                table = (
                    list(index),
                    np.asarray(docs, dtype=np.int64),
                    np.asarray(which, dtype=np.int64),
                )
                self._index[field] = index
                self._facets[field] = table
        return table

    def rows(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """A facet field's value indices in docid order, and where each docid's begin
        (`offsets[d]:offsets[d + 1]`, the document's values as facet() lists them)."""
        found = self._rows.get(field)
        if found is None:
            _, docs, which = self.facet(field)
            with self._lock:
                order = np.argsort(docs, kind="stable")
                offsets = np.searchsorted(docs[order], np.arange(self.size + 1))
                if len(docs) < 2**31:  # half the memory (one per docid)
                    offsets = offsets.astype(np.int32)
                found = self._rows[field] = (offsets, which[order])
        return found

    def term(self, field: str, value: str) -> np.ndarray:
        """The mask of documents holding `value` in a facet field."""
        key = (field, value)
        mask = self._masks.get(key)
        if mask is None:
            _, docs, which = self.facet(field)
            mask = np.zeros(self.size, dtype=bool)
            i = self._index[field].get(value)
            if i is not None:
                mask[docs[which == i]] = True
            if len(self._masks) >= TERM_CACHE_SIZE:
                self._masks.pop(next(iter(self._masks)))
            self._masks[key] = mask
        return mask

    def any_of(self, field: str, values: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.size, dtype=bool)
        for v in values:
            out |= self.term(field, v)
        return out

    def count(
        self, field: str, within: np.ndarray, docids: np.ndarray | None = None
    ) -> Counter[str]:
        """Counts of every value of `field` among the documents of the mask `within`
        (`docids`: np.flatnonzero(within), if known), in the order of the values' indices."""
        values, docs, which = self.facet(field)
        if docids is None:
            docids = np.flatnonzero(within)
        if len(docids) < SPARSE_SHARE * len(docs):  # the matching documents' rows
            offsets, by_doc = self.rows(field)
            starts = offsets[docids]
            lengths = offsets[docids + 1] - starts
            ends = np.cumsum(lengths)
            if not len(ends) or not ends[-1]:
                return Counter()
            at = np.arange(ends[-1]) + np.repeat(starts - (ends - lengths), lengths)
            picked = by_doc[at]
            if len(picked) * BINCOUNT_SHARE >= len(values):  # counted without a sort
                every = np.bincount(picked, minlength=len(values))
                found = np.flatnonzero(every)
                counts = every[found]
            else:
                found, counts = np.unique(picked, return_counts=True)
            names = [values[i] for i in found.tolist()]
            return Counter(dict(zip(names, counts.tolist(), strict=True)))
        counts = np.bincount(which[within[docs]], minlength=len(values))
        return Counter({values[i]: int(counts[i]) for i in np.flatnonzero(counts)})

    def warm(self) -> None:
        for field in FACET_SLOTS:
            self.rows(field)
        self.in_range(f.YEAR, None, None)
