"""The index view (search/view.py) of one Whoosh index version: its searcher, the cached
bitsets of search/whoosh/docsets.py, its stored fields and term statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from search import fields as f
from search.scoring import BM25_B, BM25_K1
from search.view import Head
from search.whoosh.docsets import DocSets


def _text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


class WhooshView:
    """One index version as the neutral algorithms read it (docnums from 0)."""

    def __init__(self, searcher: Searcher, docsets: DocSets, version: Hashable) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.docsets = docsets
        self.version = version
        self.live = docsets.live
        self.b = getattr(searcher.weighting, "B", BM25_B)
        self.k1 = getattr(searcher.weighting, "K1", BM25_K1)
        self._stored: tuple[int, dict[str, Any]] = (-1, {})
        self._dates: Any = None

    def _fields(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields (the last one read is kept: head, then record)."""
        if self._stored[0] != docnum:
            self._stored = (docnum, self.reader.stored_fields(docnum))
        return self._stored[1]

    # -- records -----------------------------------------------------------------------------
    def docnum(self, record_id: str) -> int | None:
        return self.searcher.document_number(**{f.ID: record_id})

    def head(self, docnum: int) -> Head:
        stored = self._fields(docnum)
        return Head(stored[f.ID], stored[f.TYPE], stored.get(f.TITLE, "").split("\n")[0])

    def record(self, docnum: int) -> dict[str, Any]:
        return f.unpack_record(self._fields(docnum)[f.RECORD])

    def date(self, docnum: int) -> int:
        if self._dates is None:
            self._dates = self.reader.column_reader(f.DATE)
        value = self._dates[docnum] or 0
        return 0 if value >= f.UNDATED else value  # a missing value reads as 2^32 - 1

    # -- sets and values ---------------------------------------------------------------------
    def term(self, field: str, value: str) -> int:
        return self.docsets.term(field, value)

    def terms_under(self, field: str, prefix: str) -> list[str]:
        return [_text(t) for t in self.reader.expand_prefix(field, prefix)]

    def union_under(self, field: str, prefix: str) -> int:
        bits = 0
        for value in self.terms_under(field, prefix):
            bits |= self.term(field, value)
        return bits

    def count_values(self, field: str, within: int) -> Counter[str]:
        return self.docsets.count_low(field, within)

    # -- term statistics ---------------------------------------------------------------------
    def doc_count(self) -> int:
        # as the weighting's idf (search/whoosh/engine.py RobertsonBM25F): deleted documents
        # count until merged away, as they do in doc_frequency
        return self.reader.doc_count_all()

    def doc_frequency(self, field: str, term: str) -> int:
        return self.reader.doc_frequency(field, term)

    def frequency(self, field: str, term: str) -> float:
        return self.reader.frequency(field, term)

    def avg_length(self, field: str) -> float:
        return self.searcher.avg_field_length(field)

    def length(self, docnum: int, field: str) -> float:
        return self.reader.doc_field_length(docnum, field) or 0

    def weights(self, field: str, term: str, docs: Sequence[int]) -> dict[int, float]:
        if not docs:
            return {}
        # the postings' arrays, cached and shared with the ranker (search/whoosh/postings.py)
        ids, weights = self.docsets.postings.term(field, term)
        found = weights[np.searchsorted(ids, np.asarray(docs, dtype=ids.dtype))]
        return dict(zip((int(d) for d in docs), found.tolist(), strict=True))

    # -- vocabulary --------------------------------------------------------------------------
    def words_within(self, field: str, word: str, distance: int, prefix: int) -> Iterable[str]:
        return (_text(t) for t in self.reader.terms_within(field, word, distance, prefix))
