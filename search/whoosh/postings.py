"""Postings and per-document columns of one index version as NumPy arrays.

Whoosh walks postings one document at a time in Python, which is most of a search's time on a
large index. This module reads a term's postings block by block (one unpickle per 128
postings, the ids delta-decoded by NumPy) into arrays of docnums and weights, reads the length
and sort columns in one piece each, and keeps them for the life of the reader. Deleted
documents are not filtered here: callers mask with the live documents.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.columns import NumericColumn
from whoosh.matching import ListMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.util.numeric import byte_to_length

CACHE_POSTINGS = 6_000_000  # postings kept per reader (docnum int32 + weight float32 each)
# Whoosh stores a field length as one byte; a zero byte means "no length" (the scorer uses 1).
_LENGTHS = np.array([byte_to_length(b) or 1 for b in range(256)], dtype=np.float64)

Arrays = tuple[np.ndarray, np.ndarray]  # docnums (int64, ascending), weights (float32)
_EMPTY: Arrays = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def _blocks(
    m: object, wanted: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, object, object]]:
    """One segment's postings block by block: (docnums, raw weights, raw values). With
    `wanted` (ascending docnums), blocks holding none of them are skipped unread."""
    if isinstance(m, W3LeafMatcher) and not m._byteids:
        previous = -1
        while True:
            if wanted is not None:
                lo, hi = np.searchsorted(wanted, (previous + 1, m._maxid + 1))
                previous = m._maxid
                if lo == hi:  # no wanted document in (previous block's last id, this one's]
                    if m._lastblock:
                        return
                    m._goto(m._nextoffset)
                    continue
            m._read_data()
            raw_ids, raw_weights, raw_values = m._data
            yield np.cumsum(np.asarray(raw_ids, dtype=np.int64)), raw_weights, raw_values
            if m._lastblock:
                return
            m._goto(m._nextoffset)
    elif isinstance(m, ListMatcher):
        weights = m._all_weights or m._weights or None
        yield np.asarray(m._ids, dtype=np.int64), weights, m._values
    else:  # any other matcher: the slow, general way
        docs, weights, values = [], [], []
        while m.is_active():  # type: ignore[attr-defined]
            docs.append(m.id())  # type: ignore[attr-defined]
            weights.append(m.weight())  # type: ignore[attr-defined]
            values.append(m.value())  # type: ignore[attr-defined]
            m.next()  # type: ignore[attr-defined]
        yield np.asarray(docs, dtype=np.int64), weights, values


def _weights(raw: object, n: int) -> np.ndarray:
    if raw is None:
        return np.ones(n, dtype=np.float32)
    if isinstance(raw, float):
        return np.full(n, raw, dtype=np.float32)
    return np.asarray(raw, dtype=np.float32)


class Postings:
    """Array views of one reader's postings and columns, cached (LRU by postings count)."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self.size = reader.doc_count_all()
        self._leaves = reader.leaf_readers()
        self._terms: OrderedDict[tuple[str, bytes], Arrays] = OrderedDict()
        self._held = 0
        self._columns: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.RLock()

    def term(self, field: str, text: str | bytes) -> Arrays:
        """Docnums (ascending) and weights of a term in every segment; empty if absent."""
        btext = text if isinstance(text, bytes) else self.reader.schema[field].to_bytes(text)
        key = (field, btext)
        with self._lock:
            hit = self._terms.get(key)
            if hit is not None:
                self._terms.move_to_end(key)
                return hit
            arrays = self._read(field, btext)
            self._terms[key] = arrays
            self._held += len(arrays[0])
            while self._held > CACHE_POSTINGS and len(self._terms) > 1:
                _, old = self._terms.popitem(last=False)
                self._held -= len(old[0])
            return arrays

    def _read(self, field: str, btext: bytes) -> Arrays:
        parts = []
        for leaf, offset in self._leaves:
            if (field, btext) not in leaf:
                continue
            try:
                m = leaf._terms.matcher(field, btext, leaf.schema[field].format)
            except TermNotFound:
                continue
            blocks = [(ids, _weights(w, len(ids))) for ids, w, _ in _blocks(m)]
            ids = np.concatenate([b[0] for b in blocks]) if blocks else _EMPTY[0]
            weights = np.concatenate([b[1] for b in blocks]) if blocks else _EMPTY[1]
            parts.append((ids + offset, weights))
        if not parts:
            return _EMPTY
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def positions(self, field: str, btext: bytes, docs: np.ndarray) -> dict[int, list[int]]:
        """The positions of a term in each of the documents `docs` (ascending docnums) that
        contain it. Only the blocks holding those documents have their values decoded."""
        fmt = self.reader.schema[field].format
        out: dict[int, list[int]] = {}
        for leaf, offset in self._leaves:
            count = leaf.doc_count_all()
            local = docs[(docs >= offset) & (docs < offset + count)] - offset
            if not len(local) or (field, btext) not in leaf:
                continue
            for ids, _, values in _blocks(leaf._terms.matcher(field, btext, fmt), local):
                hit = np.flatnonzero(np.isin(ids, local, assume_unique=True))
                for i in hit.tolist():
                    out[int(ids[i]) + offset] = fmt.decode_positions(values[i])
        return out

    def lengths(self, field: str) -> np.ndarray:
        """Every document's length in `field` as BM25 sees it (float64; 1 where unknown)."""
        return self._column(
            "len", field, lambda leaf: _fixed(leaf, _lenfield(field), LENGTHS_COLUMN), _LENGTHS
        )

    def numbers(self, field: str) -> np.ndarray:
        """A sortable numeric field's per-document values (int64), e.g. dates for sorting."""
        column = self.reader.schema[field].column_type
        return self._column("num", field, lambda leaf: _fixed(leaf, field, column), None)

    def _column(
        self,
        kind: str,
        field: str,
        read: Callable[[IndexReader], np.ndarray],
        table: np.ndarray | None,
    ) -> np.ndarray:
        key = (kind, field)
        with self._lock:
            if key not in self._columns:
                parts = [read(leaf) for leaf, _ in self._leaves]
                values = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
                self._columns[key] = table[values] if table is not None else values
            return self._columns[key]


def _fixed(leaf: IndexReader, name: str, column: NumericColumn) -> np.ndarray:
    """One segment's fixed-width numeric column read in one piece (default where missing)."""
    count = leaf.doc_count_all()
    perdoc = leaf._perdoc
    if not perdoc.has_column(name):
        return np.full(count, column._default, dtype=np.int64)
    colreader = perdoc.column_reader(name, column)
    dtype = np.dtype(colreader._typecode).newbyteorder(">")
    raw = colreader._dbfile.get(colreader._basepos, colreader._count * colreader._fixedlen)
    values = np.frombuffer(raw, dtype=dtype).astype(np.int64)
    if len(values) < count:
        values = np.concatenate([values, np.full(count - len(values), column._default)])
    return values[:count]
