"""A field's lengths (its value slot read into arrays) and a term's postings with their wdfs,
read in one match: what the Xapian backend's posting sources (search/xapian/sources.py,
docweights.py) and the neutral view (view.py) are made from.
"""

from __future__ import annotations

import numpy as np
import xapian

from search.scoring import stored_length
from search.xapian.schema import LENGTH_SLOTS


class Lengths:
    """One field's lengths: their average over every document, each distinct length (as the
    slot holds it), each document's (-1: none), and the distinct lengths of each record
    type's documents."""

    def __init__(self, db: xapian.Database, field: str) -> None:
        per_doc = np.full(db.get_lastdocid() + 1, -1, dtype=np.int32)
        for item in db.valuestream(LENGTH_SLOTS[field]):
            per_doc[item.docid] = int(item.value)
        found = per_doc[per_doc >= 0]
        # (a build before stored_length kept exact lengths: they score as stored now)
        self.average = float(stored_length(found).sum()) / (db.get_doccount() or 1) or 1.0
        self.distinct = np.unique(found)
        self.per_doc = per_doc
        self._kinds: dict[int, np.ndarray] = {}

    def of_kind(self, kinds: np.ndarray, kind: int) -> np.ndarray:
        """The distinct lengths of the documents whose type (`kinds`, docid-indexed) is `kind`."""
        found = self._kinds.get(kind)
        if found is None:
            size = min(len(kinds), len(self.per_doc))
            docs = self.per_doc[:size][kinds[:size] == kind]
            found = self._kinds[kind] = np.unique(docs[docs >= 0])
        return found


def postings(db: xapian.Database, key: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The documents holding `key` and its wdf in each, in one match whose weight is the wdf
    (TfIdfWeight "nnn"; over shards, one round trip to each, where a postlist comes whole
    and is read a posting a call): the match lists the documents by wdf, most first, so each
    wdf's run is found by bisection. `count`: the term's frequency. Docids ascending."""
    enquire = xapian.Enquire(db)
    enquire.set_query(xapian.Query(key))
    enquire.set_weighting_scheme(xapian.TfIdfWeight("nnn"))
    mset = enquire.get_mset(0, count)
    n = mset.size()
    docids = np.fromiter(map(mset.get_docid, range(n)), np.int64, n)
    wdfs = np.empty(n, dtype=np.int64)
    weight = lambda i: mset._get_hit_internal(i).get_weight()  # noqa: E731
    i = 0
    while i < n:
        w = weight(i)
        low, high = i + 1, n  # the first match of a smaller wdf
        while low < high:
            mid = (low + high) // 2
            if weight(mid) < w:
                high = mid
            else:
                low = mid + 1
        wdfs[i:low] = round(w)
        i = low
    order = np.argsort(docids, kind="stable")
    return docids[order], wdfs[order]
