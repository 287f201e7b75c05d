"""The posting sources of the Xapian backend's scored queries (search/xapian/query.py).

A word of a field other than ALL scores BM25 on that field's own length: a ValueMapPostingSource
maps each length (a value slot) to BM25's saturated tf times SOURCE_SCALE, and the word's query
scales it down to idf x boost. Xapian copies a source's weights each time a query is made of it
and each time a match uses it (about 100 us for the 685 lengths of the sample's `aside`), so:
- a word held by at most MAX_HELD documents gets, for each of its wdfs, a source of only the
  lengths of the documents holding it that often (read once: `postings`), shared while the
  database is open, in every ranking (a query is sent to every shard for each ranked match,
  tables and all: with every length of `aside`, ~1,000 at 1x, for each wdf, megabytes);
- for other words, a source of every length (of one record type's documents, for a query
  translated for that type) is made once per (field, tf) with its query, and shared;
- unless the ranking is within a known match set (`within`): then a source of only the lengths
  found there (a document outside it is never scored), made for that ranking, unless they are
  most of them.
Constant scores come from one FixedWeightPostingSource per score.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xapian

from search import fields as f
from search.scoring import saturated_tf, stored_length
from search.xapian.lengths import Lengths, postings
from search.xapian.schema import LENGTH_SLOTS
from search.xapian.typestats import kinds_of

MAX_SOURCES = 1_000  # shared posting sources kept per database (each (field, tf), each score)
MAX_WORDS = 50_000  # a word's sources (each (field, type, term, wdf)) kept per database
_NONE = np.empty(0, dtype=np.int32)
MAX_HELD = 20_000  # a word held by at most this many documents: its sources map their lengths
HELD_CACHE = 2_000_000  # (docid, wdf) pairs kept for those words per database
MAX_FREQUENCIES = 200_000  # terms whose frequencies are kept per database (then forgotten at once)
# A source's weights are this times BM25's saturated tf; a term scales them by idf x boost / this.
# The factor must stay <= 1: Xapian 1.4 gives a source the minimum weight of its match unscaled
# and ends it early when that exceeds the source's own maximum (tests/test_xapian.py).
SOURCE_SCALE = 1e4


class Frequencies:
    """The number of documents holding a term, asked of the database once (each ask reads its
    B-tree: a word is scored for each record type, in each ranking of a search); at most
    MAX_FREQUENCIES kept, then forgotten at once."""

    def __init__(self, db: xapian.Database) -> None:
        self.db = db
        self._found: dict[str, int] = {}

    def __call__(self, key: str) -> int:
        found = self._found.get(key)
        if found is None:
            if len(self._found) >= MAX_FREQUENCIES:
                self._found.clear()
            found = self._found[key] = self.db.get_termfreq(key)
        return found


class _Held:
    """The documents holding a word and the word's wdf in each, read in one match (a weight
    that is the wdf: TfIdfWeight "nnn"), for words held by at most MAX_HELD documents; kept
    while the database is open."""

    def __init__(self, db: xapian.Database, termfreq: Callable[[str], int]) -> None:
        self.db = db
        self.termfreq = termfreq
        self._found: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        self._pairs = 0

    def __call__(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(docids, wdfs) of the documents holding `key`; None when too many hold it."""
        if key in self._found:
            return self._found[key]
        n = self.termfreq(key)
        found = postings(self.db, key, n) if n <= MAX_HELD else None
        self.remember(key, found)
        return found

    def remember(self, key: str, found: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Keep `key`'s (docids, wdfs) (read elsewhere: search/xapian/termstats.py, from the
        shards' count servers), as if a call had read them."""
        if found is not None:
            if self._pairs + len(found[0]) > HELD_CACHE:
                self._found.clear()
                self._pairs = 0
            self._pairs += len(found[0])
        self._found[key] = found

    def knows(self, key: str) -> bool:
        return key in self._found


class Sources:
    """The sources of one database. The bindings do not keep a source alive with its query:
    the shared ones live here, those of one ranking until `reset`."""

    def __init__(self, db: xapian.Database, k1: float, b: float) -> None:
        self.db = db
        self.k1, self.b = k1, b
        self._lengths: dict[str, Lengths] = {}
        self._shared: dict[object, tuple[xapian.PostingSource, xapian.Query]] = {}
        self._within: np.ndarray | None = None
        self._local: dict[object, xapian.Query] = {}  # this ranking's, by (field, tf)
        self._local_lengths: dict[str, np.ndarray] = {}
        self._present: dict[str, frozenset[int] | None] = {}  # this ranking's words' wdfs
        self._kept: list[xapian.PostingSource] = []
        self._kinds: np.ndarray | None = None  # each docid's type (index in f.TYPES; -1: none)
        self.termfreq = Frequencies(db)
        self.held = _Held(db, self.termfreq)  # (no cycle back to this: it closes with its db)
        # (field, type, (term, wdf)) -> its source and query; (None, None): every length's
        self._words: dict[object, tuple[xapian.PostingSource | None, xapian.Query | None]] = {}
        self._by_wdf: dict[object, dict[int, np.ndarray]] = {}  # this search's words' lengths

    def reset(self) -> None:
        """Forget the sources of earlier rankings (call before a search, under the lock)."""
        self._kept.clear()
        self._by_wdf.clear()
        self.within(None)

    def within(self, mask: np.ndarray | None) -> None:
        """Rank only the documents of this mask (docid-indexed) from now on (None: any)."""
        self._within = mask
        self._local.clear()
        self._local_lengths.clear()
        self._present.clear()

    @property
    def mask(self) -> np.ndarray | None:
        """The mask ranked within (see `within`; None: any document)."""
        return self._within

    def present(self, key: str) -> frozenset[int] | None:
        """The wdfs `key` has in the documents ranked (the `within` mask); None when not known
        (no mask, or too many documents hold the word to read them: _Held)."""
        if self._within is None:
            return None
        if key in self._present:
            return self._present[key]
        found, out = self.held(key), None
        if found is not None:
            docids, wdfs = found
            mask = self._within
            inside = docids < len(mask)
            out = frozenset(np.unique(wdfs[inside][mask[docids[inside]]]).tolist())
        self._present[key] = out
        return out

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
        self.kinds()
        for field in LENGTH_SLOTS:
            self.table(field)

    def kinds(self) -> np.ndarray:
        """Each docid's record type, as its index in f.TYPES (-1: no document)."""
        if self._kinds is None:
            self._kinds = kinds_of(self.db)
        return self._kinds

    def table(self, field: str) -> Lengths:
        table = self._lengths.get(field)
        if table is None:
            table = self._lengths[field] = Lengths(self.db, field)
        return table

    def length(
        self, field: str, tf: float, kind: str | None = None, word: tuple[str, int] | None = None
    ) -> xapian.Query:
        """BM25's saturated tf of `tf` occurrences for each length of the field (the average
        length is over every document, as Whoosh's), times SOURCE_SCALE; `kind`: for the
        documents of this record type only (a query translated for one type is filtered by
        it); `word`: (term, wdf) the source is for (filtered by), whose documents, when few,
        are read (_Held) to map only their lengths. Xapian copies a source's table for each
        use in a match, and sends it to every shard with the query for each ranked match: a
        word of a long field (`aside`: ~600 lengths in the sample) with 20 wdfs, used in
        four phrases of a MeSH-expanded concept, copied 12,000 lengths a ranking per type."""
        table = self.table(field)
        full = table.distinct if kind is None else table.of_kind(self.kinds(), f.TYPES.index(kind))
        if word is not None:
            found = self._word(table, field, tf, kind, word, full)
            if found is not None:
                return found
        key = (field, tf, kind)
        local = self._local.get(key)
        if local is None and self._within is None and key in self._shared:
            local = self._shared[key][1]
        if local is not None:
            return local
        lengths = full
        if self._within is not None:
            lengths = self._local_lengths.get(field)
            if lengths is None:
                mask = self._within
                docs = table.per_doc[: len(mask)][mask[: len(table.per_doc)]]
                lengths = self._local_lengths[field] = np.unique(docs[docs >= 0])
            if 2 * len(lengths) >= len(full):
                lengths = full  # most of them: the shared source
        shared = lengths is full
        found = self._shared.get(key) if shared else None
        if found is not None:
            return found[1]
        mapped = self._mapped(table, field, tf, lengths)
        if shared:
            return self._keep(key, mapped)
        self._kept.append(mapped)
        query = self._local[key] = xapian.Query(mapped)
        return query

    def _word(
        self,
        table: Lengths,
        field: str,
        tf: float,
        kind: str | None,
        word: tuple[str, int],
        full: np.ndarray,
    ) -> xapian.Query | None:
        """The shared source of the lengths of the documents (of `kind`) where the term has
        this wdf; None when too many hold it (_Held) or they have most of the lengths. Its
        maximum weight stays that of every length's (the default weight: Xapian 1.4 ends a
        source early when the match's unscaled minimum weight exceeds it)."""
        key = (field, kind, word)
        if key in self._words:
            return self._words[key][1]
        lengths = self._held_lengths(table, kind, word)
        mapped, query = None, None
        if lengths is not None and 2 * len(lengths) < len(full):
            query = xapian.Query.MatchNothing  # no document of the kind holds it so often
        if query is not None and len(lengths):
            mapped = self._mapped(table, field, tf, lengths)
            shortest = stored_length(int(full[0]))
            top = saturated_tf(tf, shortest, table.average, self.k1, self.b) * SOURCE_SCALE
            mapped.set_default_weight(top)  # full[0]: the shortest length, the highest weight
            query = xapian.Query(mapped)
        if len(self._words) >= MAX_WORDS:  # (this search's queries may use them: kept)
            self._kept.extend(source for source, _ in self._words.values() if source is not None)
            self._words.clear()
        self._words[key] = (mapped, query)
        return query

    def _mapped(
        self, table: Lengths, field: str, tf: float, lengths: np.ndarray
    ) -> xapian.ValueMapPostingSource:
        mapped = xapian.ValueMapPostingSource(LENGTH_SLOTS[field])
        # the weights at once (the same operations as for each length alone: the same floats)
        scored = stored_length(lengths).astype(np.float64)
        weights = saturated_tf(tf, scored, table.average, self.k1, self.b)
        add, texts = mapped.add_mapping, list(map(str, lengths.tolist()))
        for text, weight in zip(texts, (weights * SOURCE_SCALE).tolist(), strict=True):
            add(text, weight)
        return mapped

    def _held_lengths(
        self, table: Lengths, kind: str | None, word: tuple[str, int]
    ) -> np.ndarray | None:
        """The distinct lengths of the documents (of `kind`) where the term has this wdf:
        those of every wdf found at once (a word of `aside` has a dozen), kept until the next
        search's `reset`."""
        key = (id(table), kind, word[0])
        by_wdf = self._by_wdf.get(key)
        if by_wdf is None:
            found = self.held(word[0])
            if found is None:
                return None
            by_wdf = self._by_wdf[key] = self._group(table, kind, *found)
        return by_wdf.get(word[1], _NONE)

    def _group(
        self, table: Lengths, kind: str | None, docids: np.ndarray, wdfs: np.ndarray
    ) -> dict[int, np.ndarray]:
        """wdf -> the distinct lengths of the documents (of `kind`) holding the term so often."""
        if kind is not None:
            kinds = self.kinds()
            keep = kinds[np.minimum(docids, len(kinds) - 1)] == f.TYPES.index(kind)
            docids, wdfs = docids[keep], wdfs[keep]
        keep = docids < len(table.per_doc)
        lengths, wdfs = table.per_doc[docids[keep]], wdfs[keep]
        keep = lengths >= 0
        pairs = np.unique((wdfs[keep].astype(np.int64) << 32) | lengths[keep])  # wdf, length
        by, lengths = pairs >> 32, pairs & 0xFFFFFFFF
        starts = np.flatnonzero(np.diff(by, prepend=-1)).tolist()  # each wdf's first pair
        ends = [*starts[1:], len(by)] if starts else []
        return {int(by[a]): lengths[a:b] for a, b in zip(starts, ends, strict=True)}
