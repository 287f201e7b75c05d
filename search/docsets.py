"""Document sets as Python big-int bitsets, cached per index reader.

Facet counts and filters are set algebra: a facet value's documents AND the result set, counted
with int.bit_count(). Bitsets of a reader are built lazily from its postings and kept until the
index changes (a new reader gets a new DocSets). High-cardinality facets (MeSH descriptors,
journals) are counted from per-document value lists instead of one bitset per value.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator

from whoosh import query as wq
from whoosh.idsets import DocIdSet
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

TERM_CACHE_SIZE = 20_000  # term bitsets kept per reader (at 95k docs: 12 KB each at most)
# For each byte value, the positions of its set bits.
_BYTE_BITS = tuple(tuple(i for i in range(8) if b >> i & 1) for b in range(256))


def bits_from_docs(docs: Iterable[int], size: int) -> int:
    """A bitset of the given docnums."""
    buf = bytearray(size // 8 + 1)
    for d in docs:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def iter_bits(bits: int) -> Iterator[int]:
    """The docnums in a bitset, ascending."""
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for i, byte in enumerate(data):
        if byte:
            base = i << 3
            for b in _BYTE_BITS[byte]:
                yield base + b


class BitDocs(DocIdSet):
    """A read-only DocIdSet over a bitset, with O(1) membership (a Whoosh search filter)."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self._bytes = bits.to_bytes((bits.bit_length() + 7) // 8 or 1, "little")

    def __contains__(self, docnum: object) -> bool:
        i = int(docnum) >> 3  # type: ignore[call-overload]
        return i < len(self._bytes) and bool(self._bytes[i] >> (int(docnum) & 7) & 1)  # type: ignore[call-overload]

    def __iter__(self) -> Iterator[int]:
        return iter_bits(self.bits)

    def __len__(self) -> int:
        return self.bits.bit_count()

    def __bool__(self) -> bool:
        return self.bits != 0


class DocSets:
    """Bitsets and per-document values of one index version, shared by all threads.

    It owns its reader and touches it only under its lock; cache hits are plain dict reads."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self.size = reader.doc_count_all()
        self.live = bits_from_docs(reader.all_doc_ids(), self.size)
        self._terms: dict[tuple[str, str], int] = {}
        self._fields: dict[str, dict[str, int]] = {}
        self._docvalues: dict[str, list[tuple[str, ...]]] = {}
        self._lock = threading.RLock()

    def term(self, field: str, value: str) -> int:
        """Documents with `value` in `field` (a bitset)."""
        key = (field, value)
        bits = self._terms.get(key)
        if bits is None:
            with self._lock:
                if self.reader.frequency(field, value):
                    docs = self.reader.postings(field, value).all_ids()
                    bits = bits_from_docs(docs, self.size) & self.live
                else:
                    bits = 0
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

    def docvalues(self, field: str) -> list[tuple[str, ...]]:
        """Per-document tuples of a field's values (for high-cardinality facets)."""
        table = self._docvalues.get(field)
        if table is None:
            with self._lock:
                lists: list[list[str]] = [[] for _ in range(self.size)]
                for value in self.reader.field_terms(field):
                    for d in self.reader.postings(field, value).all_ids():
                        lists[d].append(value)
                table = [tuple(v) for v in lists]
                self._docvalues[field] = table
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
        """The same for fields with many values: walks the documents of `within`."""
        values = self.docvalues(field)
        counts: Counter[str] = Counter()
        for d in iter_bits(within):
            counts.update(values[d])
        return counts


def query_bits(q: wq.Query, docsets: DocSets, searcher: Searcher) -> int:
    """The documents matching `q`, as a bitset, from cached term bitsets where the query is
    boolean over terms; other leaves (phrases, ranges) are asked of Whoosh."""
    if isinstance(q, wq.Term):
        return docsets.term(q.fieldname, q.text)
    if isinstance(q, wq.Or):
        out = 0
        for child in q.subqueries:
            out |= query_bits(child, docsets, searcher)
        return out
    if isinstance(q, wq.And):
        out = docsets.live
        for child in q.subqueries:
            out &= query_bits(child, docsets, searcher)
            if not out:
                break
        return out
    if isinstance(q, wq.AndNot):
        return query_bits(q.a, docsets, searcher) & ~query_bits(q.b, docsets, searcher)
    if isinstance(q, (wq.AndMaybe, wq.Require)):
        base = query_bits(q.a, docsets, searcher)
        return base if isinstance(q, wq.AndMaybe) else base & query_bits(q.b, docsets, searcher)
    if isinstance(q, wq.Not):
        return docsets.live & ~query_bits(q.query, docsets, searcher)
    if isinstance(q, wq.Every):
        return docsets.live
    if isinstance(q, wq.NullQuery.__class__):
        return 0
    if isinstance(q, wq.Prefix):
        out = 0
        for text in searcher.reader().expand_prefix(q.fieldname, q.text):
            out |= docsets.term(q.fieldname, text.decode() if isinstance(text, bytes) else text)
        return out
    if isinstance(q, wq.WrappingQuery):
        return query_bits(q.child, docsets, searcher)
    return bits_from_docs(searcher.docs_for_query(q), docsets.size) & docsets.live
