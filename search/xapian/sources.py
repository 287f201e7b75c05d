"""The posting sources of the Xapian backend's scored queries (search/xapian/query.py).

A word of a field other than ALL scores BM25 on that field's own length: a ValueMapPostingSource
maps each length (a value slot) to BM25's saturated tf times SOURCE_SCALE, and the word's query
scales it down to idf x boost. Xapian copies a source's weights each time a query is made of it
and each time a match uses it (about 100 us for the 685 lengths of the sample's `aside`), so:
- a source of every length is made once per (field, tf) with its query, and shared;
- a ranking within a known match set (`within`) gets sources of only the lengths found there
  (a document outside it is never scored), made for that ranking, unless they are most of them.
Constant scores come from one FixedWeightPostingSource per score.
"""

from __future__ import annotations

import numpy as np
import xapian

from search.scoring import saturated_tf
from search.xapian.schema import LENGTH_SLOTS

MAX_SOURCES = 1_000  # shared posting sources kept per database (each (field, tf), each score)
# A source's weights are this times BM25's saturated tf; a term scales them by idf x boost / this.
# The factor must stay <= 1: Xapian 1.4 gives a source the minimum weight of its match unscaled
# and ends it early when that exceeds the source's own maximum (tests/test_xapian.py).
SOURCE_SCALE = 1e4


class _Lengths:
    """One field's lengths: their average over every document, each distinct length (as the
    slot holds it) and each document's (-1: none)."""

    def __init__(self, db: xapian.Database, field: str) -> None:
        per_doc = np.full(db.get_lastdocid() + 1, -1, dtype=np.int32)
        for item in db.valuestream(LENGTH_SLOTS[field]):
            per_doc[item.docid] = int(item.value)
        found = per_doc[per_doc >= 0]
        self.average = float(found.sum()) / (db.get_doccount() or 1) or 1.0
        self.distinct = np.unique(found)
        self.per_doc = per_doc


class Sources:
    """The sources of one database. The bindings do not keep a source alive with its query:
    the shared ones live here, those of one ranking until `reset`."""

    def __init__(self, db: xapian.Database, k1: float, b: float) -> None:
        self.db = db
        self.k1, self.b = k1, b
        self._lengths: dict[str, _Lengths] = {}
        self._shared: dict[object, tuple[xapian.PostingSource, xapian.Query]] = {}
        self._within: np.ndarray | None = None
        self._local: dict[object, xapian.Query] = {}  # this ranking's, by (field, tf)
        self._local_lengths: dict[str, np.ndarray] = {}
        self._kept: list[xapian.PostingSource] = []

    def reset(self) -> None:
        """Forget the sources of earlier rankings (call before a search, under the lock)."""
        self._kept.clear()
        self.within(None)

    def within(self, mask: np.ndarray | None) -> None:
        """Rank only the documents of this mask (docid-indexed) from now on (None: any)."""
        self._within = mask
        self._local.clear()
        self._local_lengths.clear()

    def _keep(self, key: object, source: xapian.PostingSource) -> xapian.Query:
        query = xapian.Query(source)
        if len(self._shared) < MAX_SOURCES:
            self._shared[key] = (source, query)
        else:
            self._kept.append(source)
        return query

    def constant(self, score: float) -> xapian.Query:
        """`score` for every document."""
        found = self._shared.get(score)
        return found[1] if found else self._keep(score, xapian.FixedWeightPostingSource(score))

    def warm(self) -> None:
        """Read every field's lengths now (a search would on its first word of the field)."""
        for field in LENGTH_SLOTS:
            self.table(field)

    def table(self, field: str) -> _Lengths:
        table = self._lengths.get(field)
        if table is None:
            table = self._lengths[field] = _Lengths(self.db, field)
        return table

    def length(self, field: str, tf: float) -> xapian.Query:
        """BM25's saturated tf of `tf` occurrences for each length of the field (the average
        length is over every document, as Whoosh's), times SOURCE_SCALE."""
        key = (field, tf)
        local = self._local.get(key)
        if local is not None:
            return local
        table = self.table(field)
        lengths = table.distinct
        if self._within is not None:
            lengths = self._local_lengths.get(field)
            if lengths is None:
                mask = self._within
                docs = table.per_doc[: len(mask)][mask[: len(table.per_doc)]]
                lengths = self._local_lengths[field] = np.unique(docs[docs >= 0])
            if 2 * len(lengths) >= len(table.distinct):
                lengths = table.distinct  # most of them: the shared source
        if lengths is table.distinct:
            found = self._shared.get(key)
            if found is not None:
                return found[1]
        mapped = xapian.ValueMapPostingSource(LENGTH_SLOTS[field])
        for n in lengths.tolist():
            weight = saturated_tf(tf, n, table.average, self.k1, self.b) * SOURCE_SCALE
            mapped.add_mapping(str(n), weight)
        if lengths is table.distinct:
            return self._keep(key, mapped)
        self._kept.append(mapped)
        query = self._local[key] = xapian.Query(mapped)
        return query
