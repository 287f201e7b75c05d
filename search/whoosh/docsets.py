"""Document sets as Python big-int bitsets, cached per index reader.

Facet counts and filters are set algebra: a facet value's documents AND the result set, counted
with int.bit_count(). Bitsets of a reader are built lazily from its postings and kept until the
index changes (a new reader gets a new DocSets). High-cardinality facets (MeSH descriptors,
journals) are counted from arrays of (docnum, value) pairs instead of one bitset per value.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

import numpy as np
from whoosh.reading import IndexReader

from search.bitsets import bits_from_docs, bits_to_mask, iter_bits, mask_to_bits
from search.whoosh.postings import Postings

TERM_CACHE_SIZE = 20_000  # term bitsets kept per reader (at 95k docs: 12 KB each at most)


class DocSets:
    """Bitsets and per-document values of one index version, shared by all threads.

    Postings are read through `postings` (search/postings.py, shared with the ranker); cache
    hits are plain dict reads."""

    def __init__(self, reader: IndexReader, postings: Postings | None = None) -> None:
        self.reader = reader
        self.postings = postings or Postings(reader)
        self.size = reader.doc_count_all()
        self.live = bits_from_docs(reader.all_doc_ids(), self.size)
        self.live_mask = bits_to_mask(self.live, self.size)
        self._terms: dict[tuple[str, str], int] = {}
        self._fields: dict[str, dict[str, int]] = {}
        self._tables: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._lock = threading.RLock()

    def term(self, field: str, value: str) -> int:
        """Documents with `value` in `field` (a bitset)."""
        key = (field, value)
        bits = self._terms.get(key)
        if bits is None:
            with self._lock:
                mask = np.zeros(self.size, dtype=bool)
                mask[self.postings.term(field, value)[0]] = True
                bits = mask_to_bits(mask & self.live_mask)
                if len(self._terms) >= TERM_CACHE_SIZE:
                    self._terms.pop(next(iter(self._terms)))  # drop the oldest entry
                self._terms[key] = bits
        return bits

    def any_of(self, field: str, values: Iterable[str]) -> int:
        out = 0
        for v in values:
            out |= self.term(field, v)
        return out

    def field(self, field: str) -> dict[str, int]:
        """Every value of a (low-cardinality) field with its bitset."""
        table = self._fields.get(field)
        if table is None:
            with self._lock:
                values = list(self.reader.field_terms(field))
            table = {value: self.term(field, value) for value in values}
            self._fields[field] = table
        return table

    def table(self, field: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """A (high-cardinality) field's values and every (docnum, value index) pair of its
        postings, as two arrays: counting a result set's values is then one bincount."""
        table = self._tables.get(field)
        if table is None:
            with self._lock:
                values = list(self.reader.field_terms(field))
                docs, which = [], []
                for i, value in enumerate(values):
                    ids = self.postings.term(field, value)[0]
                    ids = ids[self.live_mask[ids]]
                    docs.append(ids)
                    which.append(np.full(len(ids), i, dtype=np.int32))
                empty = np.zeros(0, dtype=np.int64)
                table = (
                    values,
                    np.concatenate(docs) if docs else empty,
                    np.concatenate(which) if which else empty.astype(np.int32),
                )
                self._tables[field] = table
        return table

    def count_low(self, field: str, within: int) -> Counter[str]:
        """Counts of every value of `field` inside the bitset `within`."""
        counts: Counter[str] = Counter()
        for value, bits in self.field(field).items():
            n = (bits & within).bit_count()
            if n:
                counts[value] = n
        return counts

    def count_high(self, field: str, within: int) -> Counter[str]:
        """The same for fields with many values, from the field's table."""
        values, docs, which = self.table(field)
        selected = bits_to_mask(within, self.size)[docs]
        counts = np.bincount(which[selected], minlength=len(values))
        return Counter({values[i]: int(counts[i]) for i in np.flatnonzero(counts)})


# The bitset helpers live in search/bitsets.py (engine-neutral); imported from here too.
__all__ = ["DocSets", "bits_from_docs", "bits_to_mask", "iter_bits", "mask_to_bits"]
