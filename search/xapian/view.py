"""The index view (search/view.py) of one Xapian database: docids (from 1) as document numbers,
term bitsets read from the postlists (cached), records from the document data, the title and
type from value slots, BM25's statistics from the database (wdf / WDF_SCALE is Whoosh's
section-weighted term frequency; a document's length / LENGTH_UNIT is its length in ALL).

So related items, MeSH pages and did-you-mean are the Whoosh backend's, over the same terms.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import xapian

from search import fields as f
from search.bitsets import bits_from_docs, mask_to_bits
from search.scoring import BM25_B, BM25_K1
from search.spelling import words_within
from search.view import Head
from search.xapian.lengths import postings
from search.xapian.schema import (
    LENGTH_UNIT,
    SLOT_DATE,
    SLOT_ID,
    SLOT_TITLE,
    SLOT_TYPE,
    WDF_SCALE,
    id_term,
    prefix,
    term,
)
from search.xapian.tables import match_mask

TERM_CACHE_SIZE = 20_000  # term bitsets kept (as search/whoosh/docsets.py)
DOCNUMS_KEPT = 100_000  # shards: record ids whose docids were read ahead, kept per view
FEW_POSTINGS = 16  # term(): up to this many postings, read one by one
POSTINGS_KEPT = 4_000_000  # shards: (docid, wdf) pairs and document lengths kept per view
VOCABULARY_WORDS = 2_000_000  # vocabulary words kept per view for spelling corrections


def _text(value: bytes) -> str:
    return value.decode("utf-8")


def _walk(at: Any, end: Any, get: str) -> list[Any]:
    """What `get` reads at each step of a bare Xapian iterator, from `at` to `end`."""
    out = []
    read = getattr(at, get)
    while at != end:
        out.append(read())
        next(at)
    return out


class XapianView:
    """One opened database as the neutral algorithms read it."""

    def __init__(
        self,
        db: xapian.Database,
        version: Hashable,
        b: float = BM25_B,
        k1: float = BM25_K1,
        live: np.ndarray | None = None,
    ) -> None:
        """`live`: the live docids as a bool array (search/xapian/tables.py), if already read."""
        self.db = db
        self.version = version
        self.b, self.k1 = b, k1
        self.size = db.get_lastdocid() + 1
        self._terms: dict[str, int] = {}
        self._lock = threading.Lock()
        # shards: each read is a round trip to every shard (a postlist comes whole), so a
        # term's frequencies and the documents' lengths are kept while the build is open
        self._sharded = db.size() > 1
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._lengths: dict[int, float] = {}
        self._kept = 0
        self._docnums: dict[str, int] = {}
        self._vocabulary: dict[tuple[str, str], list[str]] = {}
        self._vocabulary_words = 0
        self._listed: dict[str, int] = {}  # the kept vocabulary's terms -> their frequencies
        self._letters = 0  # keep_vocabulary's letters a group
        self._whole: dict[str, set[str]] = {}  # field -> the groups of letters it kept whole
        if live is None:
            self.live = bits_from_docs((i.docid for i in db.valuestream(SLOT_ID)), self.size)
        else:
            self.live = mask_to_bits(live)

    # -- records -----------------------------------------------------------------------------
    def docnum(self, record_id: str) -> int | None:
        if not record_id:
            return None
        found = self._docnums.get(record_id)
        if found is not None:
            return found
        for item in self.db.postlist(id_term(record_id)):
            return item.docid
        return None

    def kept(self, record_id: str) -> bool:
        return record_id in self._docnums

    def keep_docnums(self, found: dict[str, int]) -> None:
        """Shards: keep the docids of records read ahead (search/xapian/relatedreads.py), which
        `docnum` finds without a round trip."""
        with self._lock:
            if len(self._docnums) + len(found) > DOCNUMS_KEPT:
                self._docnums.clear()
            self._docnums.update(found)

    def head(self, docnum: int) -> Head:
        doc = self.db.get_document(docnum)
        return Head(
            _text(doc.get_value(SLOT_ID)),
            _text(doc.get_value(SLOT_TYPE)),
            _text(doc.get_value(SLOT_TITLE)),
        )

    def record(self, docnum: int) -> dict[str, Any]:
        return f.unpack_record(self.db.get_document(docnum).get_data())

    def date(self, docnum: int) -> int:
        raw = self.db.get_document(docnum).get_value(SLOT_DATE)
        return int(xapian.sortable_unserialise(raw)) if raw else 0

    # -- sets and values ---------------------------------------------------------------------
    def term(self, field: str, value: str) -> int:
        key = term(field, value)
        bits = self._terms.get(key)
        if bits is None:
            try:
                bits = self._read(key) if key else 0
            except xapian.InvalidArgumentError:  # an over-long term: no documents
                bits = 0
            with self._lock:
                if len(self._terms) >= TERM_CACHE_SIZE:
                    self._terms.pop(next(iter(self._terms)))  # drop the oldest entry
                self._terms[key] = bits
        return bits

    def _read(self, key: str) -> int:
        """A term's documents as a bitset. The postlist's Python iterator makes an item per
        posting that also reads the document's length (1.5 us a posting); a few postings are
        read with the bare iterator, more by a boolean match in docid order (0.3 us)."""
        df = self.db.get_termfreq(key)
        if not df:
            return 0
        if self._sharded:  # the frequencies come with the documents (weights() reads them)
            mask = np.zeros(self.size, dtype=bool)
            mask[self._frequencies(key)[0]] = True
            return mask_to_bits(mask)
        if df <= FEW_POSTINGS:
            at, end = self.db._postlist_begin(key), self.db._postlist_end(key)
            return bits_from_docs(_walk(at, end, "get_docid"), self.size)
        return self._matching(xapian.Query(key), df)

    def _matching(self, query: xapian.Query, at_most: int) -> int:
        """The documents a query matches (at most `at_most` of them) as a bitset."""
        return mask_to_bits(match_mask(self.db, query, self.size, at_most))

    def terms_under(self, field: str, prefix_text: str) -> list[str]:
        pre = prefix(field)
        start = pre + prefix_text  # the bare iterator (the Python one makes an item a term)
        raw = _walk(self.db._allterms_begin(start), self.db._allterms_end(start), "get_term")
        terms = [_text(t)[len(pre) :] for t in raw]
        # ALL's terms are unprefixed: leave out the other fields' (their prefixes are upper case)
        return terms if pre else [t for t in terms if not t[:1].isupper()]

    def union_under(self, field: str, prefix_text: str) -> int:
        if not prefix(field):  # ALL's terms are unprefixed: a wildcard would take the others'
            bits = 0
            for value in self.terms_under(field, prefix_text):
                bits |= self.term(field, value)
            return bits
        # one wildcard match (Xapian expands it) in place of a look-up per term (a MeSH
        # descriptor with ~900 tree numbers below it: 3.5 ms, where the look-ups took 10)
        wildcard = xapian.Query(xapian.Query.OP_WILDCARD, term(field, prefix_text))
        return self._matching(wildcard, self.db.get_doccount())

    def count_values(self, field: str, within: int) -> Counter[str]:
        counts: Counter[str] = Counter()
        for value in self.terms_under(field, ""):
            n = (self.term(field, value) & within).bit_count()
            if n:
                counts[value] = n
        return counts

    # -- term statistics ---------------------------------------------------------------------
    def doc_count(self) -> int:
        return self.db.get_doccount()

    def doc_frequency(self, field: str, term_text: str) -> int:
        return self.db.get_termfreq(term(field, term_text))

    def frequency(self, field: str, term_text: str) -> float:
        key = term(field, term_text)
        if field == f.SPELL:  # boolean terms (no wdf): the records holding the word
            found = self._listed.get(key)
            whole = self._whole.get(field, ())
            if found is None and self._letters and term_text[: self._letters] in whole:
                found = 0  # its letters' words are all kept, and it is not one of them
            return self.db.get_termfreq(key) if found is None else found
        return self.db.get_collection_freq(key) / WDF_SCALE

    def avg_length(self, field: str) -> float:
        return self.db.get_avlength() / LENGTH_UNIT

    def length(self, docnum: int, field: str) -> float:
        if not self._sharded:
            return self.db.get_doclength(docnum) / LENGTH_UNIT
        found = self._lengths.get(docnum)
        if found is None:
            found = self.db.get_doclength(docnum) / LENGTH_UNIT
            with self._lock:
                self._keep(1)
                self._lengths[docnum] = found
        return found

    def _keep(self, pairs: int) -> None:
        """Room for `pairs` more kept entries (all are dropped when full; call under lock)."""
        if self._kept + pairs > POSTINGS_KEPT:
            self._postings.clear()
            self._lengths.clear()
            self._kept = 0
        self._kept += pairs

    def _frequencies(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's documents (ascending) and its wdf in each (search/xapian/sources.py's
        postings), kept."""
        found = self._postings.get(key)
        if found is None:
            found = postings(self.db, key, self.db.get_termfreq(key))
            docids = found[0]
            with self._lock:
                self._keep(len(docids))
                self._postings[key] = found
        return found

    def weights(self, field: str, term_text: str, docs: Sequence[int]) -> dict[int, float]:
        out: dict[int, float] = {}
        if not docs:
            return out
        if self._sharded:
            docids, wdfs = self._frequencies(term(field, term_text))
            at = np.minimum(np.searchsorted(docids, docs), max(len(docids) - 1, 0))
            for d, i in zip(docs, at.tolist(), strict=True):
                held = len(docids) and docids[i] == d
                out[d] = float(wdfs[i]) / WDF_SCALE if held else 0.0
            return out
        # the bare iterator: the Python one's skip_to also reads the document's length
        postings = self.db._postlist_begin(term(field, term_text))
        for d in docs:
            postings.skip_to(d)
            out[d] = postings.get_wdf() / WDF_SCALE
        return out

    # -- vocabulary --------------------------------------------------------------------------
    def keep_vocabulary(self, field: str, prefix_len: int) -> None:
        """Shards: walk the field's whole vocabulary now, in one listing, and keep it by its
        first `prefix_len` letters (as `_under` keeps the letters corrections walk) with each
        word's frequency (which a correction ranks its candidates by: a round trip each),
        up to VOCABULARY_WORDS words (the letters listed whole before that many)."""
        if not self._sharded:
            return
        pre = prefix(field)
        at, end = self.db._allterms_begin(pre), self.db._allterms_end(pre)
        groups: dict[str, list[str]] = {}
        listed: dict[str, int] = {}
        whole = True
        while at != end:
            key = _text(at.get_term())
            word = key[len(pre) :]
            if pre or not word[:1].isupper():  # (ALL's terms are unprefixed: see terms_under)
                if len(listed) == VOCABULARY_WORDS:
                    whole = False
                    break
                groups.setdefault(word[:prefix_len], []).append(word)
                listed[key] = at.get_termfreq()
            next(at)
        if not whole and groups:  # the last letter was cut short: not kept
            cut = groups.pop(next(reversed(groups)))
            for word in cut:
                listed.pop(pre + word, None)
        with self._lock:
            self._vocabulary = {(field, letters): words for letters, words in groups.items()}
            self._vocabulary_words = len(listed)
            self._listed, self._letters, self._whole = listed, prefix_len, {field: set(groups)}

    def words_within(self, field: str, word: str, distance: int, prefix_len: int) -> Iterable[str]:
        return words_within(self._under(field, word[:prefix_len]), word, distance, prefix_len)

    def _under(self, field: str, prefix_text: str) -> list[str]:
        """terms_under, kept while the build is open (a spelling correction walks every word
        of its first letter: over xapian-tcpsrv ~50 ms a letter at 10x; one database of the
        full data 4-8 ms, as long as the rest of the correction), up to VOCABULARY_WORDS
        words in all (the full data's `spell` field has 146,818: ~10 MB)."""
        found = self._vocabulary.get((field, prefix_text))
        if found is None:
            found = self.terms_under(field, prefix_text)
            with self._lock:
                if self._vocabulary_words + len(found) <= VOCABULARY_WORDS:
                    self._vocabulary[(field, prefix_text)] = found
                    self._vocabulary_words += len(found)
        return found
