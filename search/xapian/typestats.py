"""Collection statistics per record type for the Xapian backend (search/scoring.py TypeStats
on Whoosh): a term's idf is that of the documents of the scored document's own type, so an
article is scored against articles and the ~27,000 short MeSH records of a small index do not
shrink a rare word's idf.

Each record type's document count is its type term's frequency; a term's document frequency
per type is counted once per database and kept while the database is open: a rare term's
documents read out and looked up in the docid -> type array (search/xapian/sources.py kinds),
a common one's matches filtered by each type but the most common one, which gets the rest. The query
translator (search/xapian/query.py) scores a tree translated for one type with that type's idf.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xapian

from search import fields as f
from search.xapian.schema import SLOT_TYPE, term

MAX_CACHED = 100_000  # terms whose frequencies per type are kept (then forgotten at once)
# A term held by at most this many documents has its documents' types looked up (one match
# reading them out: 18-30 us a term on data/sample, where a count per type took 53-64); from
# ~100 documents on, a count per type is cheaper (bench/REPORT.md, branch xfeed7).
RARE = 100


def kinds_of(db: xapian.Database) -> np.ndarray:
    """Each docid's record type, as its index in f.TYPES (-1: no document)."""
    index = {kind.encode("utf-8"): n for n, kind in enumerate(f.TYPES)}
    kinds = np.full(db.get_lastdocid() + 1, -1, dtype=np.int8)
    for item in db.valuestream(SLOT_TYPE):
        kinds[item.docid] = index.get(item.value, -1)
    return kinds


class TypeCounts:
    """Documents per record type of one database and each term's frequency per type."""

    def __init__(self, db: xapian.Database, kinds: Callable[[], np.ndarray] | None = None) -> None:
        """`kinds`: each docid's record type as its index in f.TYPES (-1: none), for the rare
        terms (None: every term is counted per type)."""
        self.db = db
        self._kinds = kinds
        self.spied = db.size() > 1  # shards: each count is a round trip to every shard
        self._pre = pre = term(f.TYPE, "")
        found = [(item.term.decode("utf-8"), item.termfreq) for item in db.allterms(pre)]
        # the most common type last: its frequency is the term's total minus the others'
        self.types: list[tuple[str, int]] = sorted(found, key=lambda t: (t[1], t[0]))
        names = [t[len(pre) :] for t, _ in self.types]
        self._order = [f.TYPES.index(n) if n in f.TYPES else -1 for n in names]
        self._frequencies: dict[str, tuple[int, ...]] = {}

    def __bool__(self) -> bool:
        """Whether there is more than one type (with one, the whole index's statistics are
        its type's)."""
        return len(self.types) > 1

    def of(self, kind: str, key: str, total: int) -> tuple[int, int]:
        """(documents of the type `kind`, those of them holding `key`, which `total` hold)."""
        type_term = term(f.TYPE, kind)
        for (name, count), df in zip(self.types, self.frequencies(key, total), strict=True):
            if name == type_term:
                return count, df
        return 0, 0

    def frequencies(self, key: str, total: int) -> tuple[int, ...]:
        """The number of documents of each type (in `types` order) holding `key`, which
        `total` documents hold."""
        found = self._frequencies.get(key)
        if found is None and self.spied:
            found = self._spied(key)
        elif found is None and self._kinds is not None and total <= RARE and -1 not in self._order:
            found = self._looked_up(key, total)
        elif found is None:
            counts = [self._count(key, type_term) for type_term, _ in self.types[:-1]]
            found = (*counts, max(0, total - sum(counts)))
        if key not in self._frequencies:
            if len(self._frequencies) >= MAX_CACHED:
                self._frequencies.clear()
            self._frequencies[key] = found
        return found

    def knows(self, key: str) -> bool:
        return key in self._frequencies

    def named(self, key: str, total: int) -> dict[str, int]:
        """`frequencies` by type name (only the types holding `key`)."""
        counts = self.frequencies(key, total)
        pre = len(self._pre)
        return {t[pre:]: c for (t, _), c in zip(self.types, counts, strict=True) if c}

    def remember(self, key: str, per_type: dict[str, int]) -> None:
        """Keep `key`'s frequencies per type (by type name) found elsewhere (added up from the
        shards' count servers: search/xapian/termstats.py), as if `frequencies` had counted."""
        if len(self._frequencies) >= MAX_CACHED:
            self._frequencies.clear()
        pre = len(self._pre)
        self._frequencies[key] = tuple(per_type.get(t[pre:], 0) for t, _ in self.types)

    def _spied(self, key: str) -> tuple[int, ...]:
        """The frequencies of `key` per type counted in one match (a spy on the type slot):
        over shards one round trip, where a count per type takes one each."""
        enquire = xapian.Enquire(self.db)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        enquire.set_query(xapian.Query(key))
        spy = xapian.ValueCountMatchSpy(SLOT_TYPE)
        enquire.add_matchspy(spy)
        enquire.get_mset(0, 0, self.db.get_doccount())
        counts = {item.term.decode("utf-8"): item.termfreq for item in spy.values()}
        return tuple(counts.get(t[len(self._pre) :], 0) for t, _ in self.types)

    def _looked_up(self, key: str, total: int) -> tuple[int, ...]:
        """The frequencies of a rare `key` per type: its documents' types looked up."""
        assert self._kinds is not None
        enquire = xapian.Enquire(self.db)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        enquire.set_docid_order(xapian.Enquire.ASCENDING)
        enquire.set_query(xapian.Query(key))
        mset = enquire.get_mset(0, total)
        docid = mset.get_docid
        docids = np.fromiter((docid(i) for i in range(mset.size())), np.int64, mset.size())
        return self._per_type(docids)

    def read(self, key: str, docids: np.ndarray) -> None:
        """Keep `key`'s frequencies per type counted from `docids`, every document holding it
        (read for its field's posting sources: search/xapian/sources.py _Held), as
        `_looked_up` counts a rare term's, without a match of its own (one database)."""
        if key in self._frequencies or self.spied or self._kinds is None or -1 in self._order:
            return
        if len(self._frequencies) >= MAX_CACHED:
            self._frequencies.clear()
        self._frequencies[key] = self._per_type(docids)

    def _per_type(self, docids: np.ndarray) -> tuple[int, ...]:
        """The number of `docids` of each type (in `types` order)."""
        assert self._kinds is not None
        per_kind = np.bincount(self._kinds()[docids] + 1, minlength=len(f.TYPES) + 1)[1:]
        return tuple(int(per_kind[i]) for i in self._order)

    def _count(self, key: str, type_term: str) -> int:
        q = xapian.Query
        enquire = xapian.Enquire(self.db)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        enquire.set_query(q(q.OP_FILTER, q(key), q(type_term)))
        mset = enquire.get_mset(0, 0, self.db.get_doccount())
        return mset.get_matches_lower_bound()
