"""A field word's rare wdfs scored by one posting source of their documents' weights.

A word of a field other than ALL is one source per wdf (search/xapian/sources.py), each
filtered by that wdf's count term (words.py). A common word of a long field has many wdfs, most
of them held by a few documents: "cancer" in `aside` has 151 on one shard of the 10x
simulation, 121 of them held by at most 50 documents. Each is a source of every length of the
field (~256) and a count term, serialised into the query sent to every shard for each ranked
match, copied and opened for each use: "Breast Cancer" was a 623 KB query of 452 sources, 67 ms
of the web node's CPU and 120 ms of each shard server's.

The documents holding the word with a rare wdf (its count term held by at most RARE_WDF
documents) are few, so their weights are mapped from their record ids (SLOT_ID: the same on
every shard) in one ValueMapPostingSource filtered by the OR of those count terms: each
document's weight is the float its wdf's source gives it (BM25's saturated tf of wdf /
WDF_SCALE at its field length, times SOURCE_SCALE, the same operations), the same documents
match. Its maximum is NO_END / the word's factor, mapped to no document (as docweights.py's,
and for the same reason: Xapian 1.4.26 ends a posting source early on a minimum it was given
unscaled).

The documents come from the database (one database: a match per count term, and the record
ids DocWeights reads) or, over shards, from the count servers with the search's statistics
(search/xapian/termstats.py `rare`); a count term whose documents are not known is scored by
its own source, as before.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xapian

from search import fields as f
from search.scoring import saturated_tf, stored_length
from search.xapian.docweights import NO_DOCUMENT, NO_END, DocWeights
from search.xapian.schema import SLOT_ID, WDF_SCALE
from search.xapian.sources import SOURCE_SCALE, Sources

RARE_WDF = 64  # a count term held by at most this many documents is rare
MIN_RARE = 2  # rare wdfs of a word worth one source of their documents
MAX_RARE_DOCS = 2_000_000  # (docid, record id) pairs of count terms kept per database
MAX_RARE_SOURCES = 20_000  # sources of rare wdfs kept per database


class Count(NamedTuple):
    """One wdf above one plain occurrence of a word: its count term, as a query, and how many
    documents hold it."""

    wdf: int
    only: xapian.Query
    term: str
    freq: int


class RareWdfs:
    """The rare wdfs' documents and sources of one database (its sources' state: `sources`)."""

    def __init__(self, sources: Sources, docs: DocWeights) -> None:
        self.sources = sources
        self.docs = docs
        self._docs: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # count term -> docids, ids
        self._pairs = 0
        self._made: dict[tuple, tuple[xapian.PostingSource | None, xapian.Query | None]] = {}
        self._kept: list[xapian.PostingSource] = []  # this search's, when _made was cleared

    def reset(self) -> None:
        """Forget the sources kept for the search before (with Sources.reset)."""
        self._kept.clear()

    def remember(self, term: str, docids: np.ndarray, ids: np.ndarray) -> None:
        """Keep the documents holding the count term `term` (docids ascending) and their
        record ids (found elsewhere: the count servers' answers)."""
        if self._pairs + len(docids) > MAX_RARE_DOCS:
            self._docs.clear()
            self._pairs = 0
        self._pairs += len(docids)
        self._docs[term] = (docids, ids)

    def knows(self, term: str) -> bool:
        return term in self._docs

    def documents(self, term: str, freq: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(docids, record ids) of the `freq` documents holding `term`; None when not known
        (shards whose count servers did not send them) or the ids are not unique."""
        found = self._docs.get(term)
        if found is None and self.docs.single:
            ids = self.docs.ids()
            if not len(ids):
                return None
            docids = _docids(self.sources.db, term, freq)
            found = (docids, ids[docids])
            self.remember(term, *found)
        if found is None or len(found[0]) != freq:  # (a listing out of step with its postings)
            return None
        return found

    def split(self, counted: list[Count]) -> tuple[list[Count], list[Count]]:
        """`counted` as (the wdfs scored by a source each, the rare ones whose documents are
        known); no rare ones when fewer than MIN_RARE."""
        rare = [
            c for c in counted if c.freq <= RARE_WDF and self.documents(c.term, c.freq) is not None
        ]
        if len(rare) < MIN_RARE:
            return counted, []
        chosen = {c.term for c in rare}
        return [c for c in counted if c.term not in chosen], rare

    def query(
        self, field: str, kind: str | None, factor: float, rare: list[Count]
    ) -> xapian.Query | None:
        """The source of the weights of the documents (of `kind`) holding these rare count
        terms, to be scaled by `factor`; MatchNothing when none is of `kind`; None when a
        document's length is not known (then each wdf is scored by its own source)."""
        key = (field, kind, factor, tuple(c.term for c in rare))
        found = self._made.get(key)
        if found is None:
            if len(self._made) >= MAX_RARE_SOURCES:  # (this search's queries may use them)
                self._kept.extend(s for s, _ in self._made.values() if s is not None)
                self._made.clear()
            found = self._made[key] = self._make(field, kind, NO_END / factor, rare)
        return found[1]

    def _make(
        self, field: str, kind: str | None, top: float, rare: list[Count]
    ) -> tuple[xapian.PostingSource | None, xapian.Query | None]:
        src = self.sources
        table = src.table(field)
        docids, ids, tf = [], [], []
        for c in rare:
            found = self.documents(c.term, c.freq)
            assert found is not None  # (split kept only those known)
            docids.append(found[0])
            ids.append(found[1])
            tf.append(np.full(len(found[0]), c.wdf / WDF_SCALE))
        held, names, tfs = np.concatenate(docids), np.concatenate(ids), np.concatenate(tf)
        keep = held < len(table.per_doc)
        if kind is not None:
            kinds = src.kinds()
            keep &= kinds[np.minimum(held, len(kinds) - 1)] == f.TYPES.index(kind)
        held, names, tfs = held[keep], names[keep], tfs[keep]
        if not len(held):
            return None, xapian.Query.MatchNothing
        lengths = table.per_doc[held]
        if (lengths < 0).any():  # (a holder of a field word has its length)
            return None, None
        # the same operations as sources.py's maps (and docweights.py's)
        scored = stored_length(lengths).astype(np.float64)
        weights = saturated_tf(tfs, scored, table.average, src.k1, src.b)
        mapped = xapian.ValueMapPostingSource(SLOT_ID)
        add = mapped.add_mapping
        for text, weight in zip(names.tolist(), (weights * SOURCE_SCALE).tolist(), strict=True):
            add(text, weight)
        add(NO_DOCUMENT, top)  # its maximum: NO_END once scaled
        return mapped, xapian.Query(mapped)


def _docids(db: xapian.Database, term: str, freq: int) -> np.ndarray:
    """The docids of the documents holding `term` (`freq` of them), ascending, in one match."""
    enquire = xapian.Enquire(db)
    enquire.set_weighting_scheme(xapian.BoolWeight())
    enquire.set_docid_order(xapian.Enquire.ASCENDING)
    enquire.set_query(xapian.Query(term))
    mset = enquire.get_mset(0, freq)
    return np.fromiter(map(mset.get_docid, range(mset.size())), np.int64, mset.size())
