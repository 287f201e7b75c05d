"""One posting source per field word in a ranking within a known match set, weighting each
ranked document by its own wdf and length (search/xapian/words.py `scored` takes it).

Elsewhere a field word is one source per wdf (search/xapian/sources.py), each filtered by that
wdf's count term, and the plain occurrences by the word AND_NOT the count terms: a word of
`aside` ranked within a few hundred documents is 3-6 sources and as many count terms, and a
MeSH-expanded concept repeats its words in each synonym, for each record type (286 sources and
144 count terms in "Institute Alcohol Abuse Alcoholism" on the full data, 10 ms of Xapian's
match: each source opens its value slot's cursor and decodes a chunk for each document).
Within a known match set the documents ranked are known, and when few of them hold the word
their weights are mapped from their record ids (SLOT_ID, one value per document) in one
ValueMapPostingSource filtered by the word alone: each document's weight is the same float
(BM25's saturated tf of its wdf / WDF_SCALE and its field length, times SOURCE_SCALE, as
sources.py maps it), the same documents match (every holder of the word; those outside the
match set, never ranked, weigh 0).
Its maximum weight is NO_END / the word's factor, mapped to no document. Xapian 1.4.26 ends a
posting source once the minimum weight it is given exceeds its scaled maximum, and in a
MeSH-expanded partial-match ranking ("Pancreatic Elastase", 50 hits, full data) it gave a
word's source a minimum above what that source had to reach: with the largest mapped weight as
the maximum, or every length's (sources.py's default weight), a hit of 10.04 was left out of
the page. With a maximum no minimum reaches, the source never ends early (its bound prunes
nothing; the same ranking as an exhaustive one: tests/test_xapian_docweights.py).
Not under a NOT (words.py): there the word's documents outside the ranked ones count.
"""

from __future__ import annotations

import numpy as np
import xapian

from search import fields as f
from search.scoring import saturated_tf, stored_length
from search.xapian.schema import SLOT_ID, WDF_SCALE
from search.xapian.sources import SOURCE_SCALE, Sources

# A word held by at most this many of the ranked documents (of the type) gets one source of
# their weights: building it costs about a microsecond a document, against ~30 us a source
# and a count term saved for each of its wdfs.
PER_DOC = 400
NO_DOCUMENT = ""  # a record id no document has (a value slot holds no empty value)
# A source's maximum once scaled (see above): above any score, small enough that the sums of
# maxima Xapian subtracts from keep their precision (a unit in the last place ~1e-10).
NO_END = 1e6


class DocWeights:
    """The per-document sources of one database's rankings (their sources' state: `sources`)."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self.single = sources.db.size() == 1  # shards: each keeps its own docids
        self._ids: np.ndarray | None = None  # docid -> record id (None: not read; empty: off)
        self._mask: np.ndarray | None = None
        self._made: dict[tuple[str, str, str | None, float], xapian.Query | None] = {}
        self._kept: list[xapian.PostingSource] = []

    def reset(self) -> None:
        """Forget the sources of earlier rankings (with Sources.reset)."""
        self._made.clear()
        self._kept.clear()
        self._mask = None

    def ids(self) -> np.ndarray:
        """Each docid's record id (SLOT_ID); empty when two documents share one (then no
        source is mapped by id)."""
        if self._ids is None:
            db = self.sources.db
            ids = np.full(db.get_lastdocid() + 1, "", dtype=object)
            count = 0
            for item in db.valuestream(SLOT_ID):  # (no tuple per document: see below)
                ids[item.docid] = item.value.decode("utf-8")
                count += 1
            # unique (a set of strings, which the garbage collector does not track: 87,311
            # tuples read at warm-up would have brought its next full collection, ~70 ms on
            # the full data, into the searches)
            self._ids = ids if len(set(ids.tolist())) - ("" in ids) == count else ids[:0]
        return self._ids

    def query(self, field: str, key: str, kind: str | None, factor: float) -> xapian.Query | None:
        """The source weighting the ranked documents (of `kind`) that hold `key` (a term of
        `field`), to be scaled by `factor`; None when the ranking is not within a known match
        set, too many hold it, or its postings are not read (sources.py _Held)."""
        mask = self.sources.mask
        if mask is None or not self.single or not factor > 0:
            return None
        if mask is not self._mask:
            self._made.clear()
            self._mask = mask
        which = (field, key, kind, factor)
        if which not in self._made:
            self._made[which] = self._make(field, key, kind, mask, NO_END / factor)
        return self._made[which]

    def _make(
        self, field: str, key: str, kind: str | None, mask: np.ndarray, top: float
    ) -> xapian.Query | None:
        src = self.sources
        found = src.held(key)
        if found is None:
            return None
        docids, wdfs = found
        table = src.table(field)
        inside = docids < min(len(mask), len(table.per_doc))
        docids, wdfs = docids[inside], wdfs[inside]
        keep = mask[docids]
        if kind is not None:
            kinds = src.kinds()
            keep &= kinds[np.minimum(docids, len(kinds) - 1)] == f.TYPES.index(kind)
        docids, wdfs = docids[keep], wdfs[keep]
        ids = self.ids()
        if not len(docids) or len(docids) > PER_DOC or not len(ids):
            return None
        lengths = table.per_doc[docids]
        if (lengths < 0).any():  # (a holder of a field word has its length)
            return None
        # the same operations as sources.py's maps: the length as stored now (a build before
        # stored_length kept exact ones), tf = wdf / WDF_SCALE (1.0 for one plain occurrence),
        # then times SOURCE_SCALE
        tf = wdfs / WDF_SCALE
        scored = stored_length(lengths).astype(np.float64)
        weights = saturated_tf(tf, scored, table.average, src.k1, src.b)
        mapped = xapian.ValueMapPostingSource(SLOT_ID)
        add = mapped.add_mapping
        texts, scaled = ids[docids].tolist(), (weights * SOURCE_SCALE).tolist()
        for text, weight in zip(texts, scaled, strict=True):
            add(text, weight)
        add(NO_DOCUMENT, top)  # its maximum: NO_END once scaled
        self._kept.append(mapped)
        return xapian.Query(mapped)
