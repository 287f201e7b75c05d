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
# Every facet of a search is counted in one pass over its documents' values of every field
# (Tables.joined: one table of them all) when they are fewer than this share of all documents.
JOINED_SHARE = 0.5


def slot_numbers(db: xapian.Database, slot: int, missing: int) -> np.ndarray:
    """Each docid's number in a sortable-serialised value slot (`missing` where it has none)."""
    out = np.full(db.get_lastdocid() + 1, missing, dtype=np.int64)
    for item in db.valuestream(slot):
        out[item.docid] = int(xapian.sortable_unserialise(item.value))
    return out


def slot_texts(db: xapian.Database, slot: int) -> np.ndarray:
    """Each docid's value in a value slot, as bytes (b"" where it has none)."""
    docids, values = [], []
    for item in db.valuestream(slot):
        docids.append(item.docid)
        values.append(item.value)
    out = np.zeros(db.get_lastdocid() + 1, dtype=f"S{max(map(len, values), default=1)}")
    out[docids] = values
    return out


def mset_mask(mset: xapian.MSet, size: int) -> np.ndarray:
    """The docids of a match as a boolean mask of `size` docids."""
    mask = np.zeros(size, dtype=bool)
    mask[np.fromiter(map(mset.get_docid, range(mset.size())), np.int64, mset.size())] = True
    return mask


def match_count(db: xapian.Database, query: xapian.Query) -> int:
    """The number of documents `query` matches, exactly (every match checked), counted by
    Xapian without listing them: a fifth of a mask's CPU (match_mask reads each docid
    through the bindings; the 40 largest match sets of 300 searches on the full data took
    246 ms as masks, 44 ms counted)."""
    return counted(db, query).get_matches_estimated()


def counted(db: xapian.Database, query: xapian.Query) -> xapian.MSet:
    """The MSet of match_count: no document listed, every match of `query` checked and
    counted (its bounds and estimate are the number of matches)."""
    enquire = xapian.Enquire(db)
    enquire.set_weighting_scheme(xapian.BoolWeight())
    enquire.set_query(query)
    return enquire.get_mset(0, 0, max(1, db.get_doccount()))


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
        self.ids = slot_texts(db, SLOT_ID)  # each docid's record id (related items' heads)
        self.live = self.ids != b""
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
        self._ranks: dict[str, np.ndarray] = {}
        self._joined: tuple[np.ndarray, np.ndarray, dict[str, int]] | None = None
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
        return self.named(field, *self.counts(field, within, docids))

    def named(self, field: str, found: np.ndarray, counts: np.ndarray) -> Counter[str]:
        """counts() (or a field of counts_every()) as a Counter of the values' names."""
        values = self.facet(field)[0]
        names = [values[i] for i in found.tolist()]
        return Counter(dict(zip(names, counts.tolist(), strict=True)))

    def counts(
        self, field: str, within: np.ndarray, docids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """count() as arrays: the indices of the values counted (ascending), and their counts."""
        values, docs, which = self.facet(field)
        if docids is None:
            docids = np.flatnonzero(within)
        if len(docids) < SPARSE_SHARE * len(docs):  # the matching documents' rows
            picked = _picked(*self.rows(field), docids)
            if len(picked) * BINCOUNT_SHARE < len(values):  # no table of every value
                return np.unique(picked, return_counts=True)
            every = np.bincount(picked, minlength=len(values))  # counted without a sort
        else:
            every = np.bincount(which[within[docs]], minlength=len(values))
        found = np.flatnonzero(every)
        return found, every[found]

    def counts_every(self, docids: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
        """counts() of every facet field among the documents `docids` (ascending) in one pass
        over their values (joined()), or None when they are at least JOINED_SHARE of all
        (each field is then best counted over its own pairs: counts())."""
        if len(docids) >= JOINED_SHARE * self.size:
            return None
        offsets, by_doc, bases = self.joined()
        picked = _picked(offsets, by_doc, docids)
        ends = {x: base + len(self.facet(x)[0]) for x, base in bases.items()}
        out = {}
        if len(picked) * BINCOUNT_SHARE < max(ends.values(), default=0):  # few values
            found, counts = np.unique(picked, return_counts=True)
            cuts = np.searchsorted(found, [bases[x] for x in bases] + [max(ends.values())])
            for n, (x, base) in enumerate(bases.items()):
                at = slice(cuts[n], cuts[n + 1])
                out[x] = (found[at] - base, counts[at])
            return out
        every = np.bincount(picked, minlength=max(ends.values(), default=0))
        for x, base in bases.items():
            part = every[base : ends[x]]
            found = np.flatnonzero(part)
            out[x] = (found, part[found])
        return out

    def joined(self) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """Every facet field's values in one table, as rows() has one field's: each docid's
        values of every field (`offsets[d]:offsets[d + 1]`), field F's value i numbered
        `bases[F] + i` (the fields in FACET_SLOTS order, one after the other). Read on the
        first search's facets (~25 ms, 4.6 MB on the full data), not by warm() (a count
        server reads it as it opens a build: search/xapian/shardcounter.py)."""
        if self._joined is None:
            tables = {x: self.facet(x) for x in FACET_SLOTS}
            with self._lock:
                bases, base = {}, 0
                for x, (values, _, _) in tables.items():
                    bases[x] = base
                    base += len(values)
                docs = np.concatenate([docs for _, docs, _ in tables.values()])
                which = np.concatenate([w + bases[x] for x, (_, _, w) in tables.items()])
                order = np.argsort(docs, kind="stable")
                offsets = np.searchsorted(docs[order], np.arange(self.size + 1))
                kind = np.int32 if max(len(docs), base) < 2**31 else np.int64
                self._joined = (offsets.astype(kind), which[order].astype(kind), bases)
        return self._joined

    def index(self, field: str) -> dict[str, int]:
        """A facet field's value -> its index."""
        self.facet(field)
        return self._index[field]

    def ranks(self, field: str) -> np.ndarray:
        """Each value index's place among the field's values in Python's string order."""
        found = self._ranks.get(field)
        if found is None:
            values = self.facet(field)[0]
            found = np.empty(len(values), dtype=np.int64)
            found[sorted(range(len(values)), key=values.__getitem__)] = np.arange(len(values))
            self._ranks[field] = found
        return found

    def warm(self) -> None:
        for field in FACET_SLOTS:
            self.rows(field)
            self.ranks(field)
        self.in_range(f.YEAR, None, None)


def _picked(offsets: np.ndarray, by_doc: np.ndarray, docids: np.ndarray) -> np.ndarray:
    """The values of the rows of `docids` (`offsets[d]:offsets[d + 1]` of `by_doc`), in order."""
    starts = offsets[docids]
    lengths = offsets[docids + 1] - starts
    ends = np.cumsum(lengths)
    if not len(ends) or not ends[-1]:
        return by_doc[:0]
    return by_doc[np.arange(ends[-1]) + np.repeat(starts - (ends - lengths), lengths)]
