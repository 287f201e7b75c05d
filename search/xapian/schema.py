"""The Xapian backend's index layout: search/fields.py names as term prefixes and value slots,
and an index document (indexer/documents.py's field -> value dict) as a xapian.Document.

Terms are our analyzer's (search/analysis.py), never Xapian's TermGenerator:
- ALL, the weighted field, is unprefixed; each token adds its section's weight x WDF_SCALE to
  the term's wdf (BM25F: weighted term frequencies), with positions for phrases.
- Every other searchable field has a prefix ("XTITLE:", "XMESH_UI:"...); a token or keyword value
  adds WDF_SCALE to its wdf, so BM25 scores it too.
- A padding term makes every document's length (Xapian's sum of wdf) LENGTH_UNIT x the number
  of ALL's tokens: BM25's length normalization is then ALL's own token count, as on Whoosh.
- `Q<id>` is the unique id term (an update replaces a record by it; a new build appends a
  record it has not written yet, search/xapian/writer.py).
Value slots hold what sorts, ranges, facets and hit lists read; the document data is the packed
record (search/fields.py pack_record).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import xapian

from search import fields as f
from search.analysis import SECTION_GAP, SECTION_MARK, WEIGHT_MARK, analyzer, exact_analyzer
from search.scoring import stored_length

DB_DIR = "xapian"  # the database's folder inside a build folder
WDF_SCALE = 10  # section weights (0.2 .. 8) x 10 are integers
LENGTH_UNIT = 80  # >= the largest section weight x WDF_SCALE: the padding is never negative
PAD_TERM = "XPAD"
# "XTF:XTITLE:melanoma\x0020": the word's wdf in that document's title is 20 (it occurs twice);
# only for wdfs other than one plain occurrence (outside the field's prefix: listing a field's
# terms never meets these)
TF_PREFIX, TF_MARK = "XTF:", "\x00"
ID_PREFIX = "Q"
MAX_TERM_BYTES = 240  # Xapian refuses terms over 245 bytes
_SHORT = MAX_TERM_BYTES // 4  # a term of at most this many characters fits in any encoding

# value slots
SLOT_ID, SLOT_TYPE, SLOT_HASH, SLOT_TITLE, SLOT_DISPLAY_DATE = 0, 1, 2, 3, 4
SLOT_YEAR, SLOT_DATE, SLOT_DATE_ASC, SLOT_UPDATED = 5, 6, 7, 8
# the slots a page, a record page or a feedback record reads of a document itself (facet values
# and lengths are read as whole value streams): what a count server sends of a document
DOCUMENT_SLOTS = tuple(range(SLOT_UPDATED + 1))
NUMBER_SLOTS = {
    f.YEAR: SLOT_YEAR, f.DATE: SLOT_DATE, f.DATE_ASC: SLOT_DATE_ASC, f.UPDATED: SLOT_UPDATED,
}  # fmt: skip
FACET_SLOTS = {name: 20 + i for i, name in enumerate(f.FACET_FIELDS)}  # VALUE_SEP-joined values

# Keyword fields (exact values, VALUE_SEP-separated) and the other text fields.
KEYWORD_FIELDS = (
    f.ENTRY_KEY, f.MESH_UI, f.MESH_MAJOR, f.MESH_TREE, f.MESH_CAT, f.LINKS,
    *(name for name in f.FACET_FIELDS if name not in (f.TYPE, f.MESH_UI, f.MESH_CAT)),
)  # fmt: skip
POSITIONAL_FIELDS = (*(n for n in f.TEXT_FIELDS if n != f.ALL), f.AUTHOR)
CONSTANT_FIELDS = (f.ID, f.TYPE)  # not scored: a match scores its boost (as on Whoosh)
# Each other field's length in a document (its token or value count, as a decimal string, as the
# Whoosh backend stores it: search/scoring.py stored_length): its terms score BM25 normalized
# by the field's own length, as on Whoosh (search/xapian/query.py).
LENGTH_SLOTS = {
    name: 50 + i for i, name in enumerate((*POSITIONAL_FIELDS, f.IDENT, *KEYWORD_FIELDS))
}
_AUTHOR_WORD = re.compile(r"\w+(?:\.?\w+)*")  # Whoosh's SimpleAnalyzer, lower-cased
_TEXT = analyzer()
_EXACT = exact_analyzer()


def prefix(field: str) -> str:
    """The term prefix of a field ('' for ALL)."""
    if field == f.ALL:
        return ""
    if field == f.ID:
        return ID_PREFIX
    return f"X{field.upper()}:"


def term(field: str, text: str) -> str:
    return prefix(field) + text


def id_term(record_id: str) -> str:
    return ID_PREFIX + record_id


def keyword_values(field: str, value: Any) -> list[str]:
    """The terms' texts of a keyword field's value (IDENT: comma-separated, lower-cased)."""
    if field == f.IDENT:
        return [v.strip().lower() for v in str(value).split(",") if v.strip()]
    return [v for v in str(value).split(f.VALUE_SEP) if v]


def author_words(text: str) -> list[str]:
    return [w.lower() for w in _AUTHOR_WORD.findall(text)]


@functools.lru_cache(maxsize=4096)
def _length_text(length: int) -> str:
    """A field's length as its length slot holds it (NumPy's search per call cost ~4 us, 13
    times a document)."""
    return str(stored_length(length))


def _tokens(text: str) -> list[tuple[str, int]]:
    """(term, position) of a text field's value, positions from 0."""
    return _TEXT.positioned(text)


class _Builder:
    """One document's terms: wdf increments and positions, through as few binding calls as
    the bindings allow (one per posting)."""

    def __init__(self) -> None:
        self.doc = xapian.Document()
        self.length = 0  # wdf added so far (the padding tops it up)
        self.analysed: dict[str, list[tuple[str, int]]] = {}

    def tokens(self, text: str) -> list[tuple[str, int]]:
        found = self.analysed.get(text)
        if found is None:
            found = self.analysed[text] = _tokens(text)
        return found

    def weighted(self, value: str, field: str = f.ALL) -> int:
        """A field of weighted sections (ALL, ASIDE): each token adds its section's weight x
        WDF_SCALE to the term's wdf; returns the token count."""
        add, pre = self.doc.add_posting, prefix(field)
        count, pos, total = 0, 0, 0
        wdfs: dict[str, int] | None = None if field == f.ALL else {}
        for section in value.split(SECTION_MARK)[1:]:
            weight, _, text = section.partition(WEIGHT_MARK)
            tokens = self.tokens(text)
            if not tokens:
                pos += SECTION_GAP  # as the analyzer's sections: an empty one takes a gap too
                continue
            wdf = round(float(weight) * WDF_SCALE)
            first = pos + 1  # Xapian positions from 1
            kept = 0
            if wdfs is None:  # ALL: unprefixed, no count terms (the hot loop of a build)
                for t, p in tokens:
                    if len(t) <= _SHORT or len(t.encode()) <= MAX_TERM_BYTES:
                        add(t, first + p, wdf)
                    else:
                        kept -= 1
                kept += len(tokens)
            else:
                for text_term, p in tokens:
                    t = pre + text_term
                    if len(t) <= _SHORT or len(t.encode()) <= MAX_TERM_BYTES:
                        add(t, first + p, wdf)
                        kept += 1
                        wdfs[t] = wdfs.get(t, 0) + wdf
            count += len(tokens)
            total += kept * wdf
            pos += tokens[-1][1] + SECTION_GAP  # no phrase across sections
        self.length += total
        if wdfs is not None:
            self.doc.add_value(LENGTH_SLOTS[field], _length_text(count))
            self.counted(wdfs)
        return count

    def counted(self, wdfs: dict[str, int]) -> None:
        """Terms whose wdf is not one plain occurrence carry it in a count term (for BM25)."""
        for t, wdf in wdfs.items():
            if wdf != WDF_SCALE:
                self.doc.add_boolean_term(f"{TF_PREFIX}{t}{TF_MARK}{wdf}")

    def positional(self, field: str, words: list[tuple[str, int]]) -> None:
        self.doc.add_value(LENGTH_SLOTS[field], _length_text(len(words)))
        add, pre = self.doc.add_posting, prefix(field)
        wdfs: dict[str, int] = {}
        for text_term, p in words:
            t = pre + text_term
            if len(t) <= _SHORT or len(t.encode()) <= MAX_TERM_BYTES:
                add(t, p + 1, WDF_SCALE)
                wdfs[t] = wdfs.get(t, 0) + WDF_SCALE
        self.length += sum(wdfs.values())
        self.counted(wdfs)

    def keywords(self, field: str, values: list[str]) -> None:
        self.doc.add_value(LENGTH_SLOTS[field], _length_text(len(values)))
        add, pre = self.doc.add_term, prefix(field)
        for v in dict.fromkeys(values):
            t = pre + v
            if len(t.encode()) <= MAX_TERM_BYTES:
                add(t, WDF_SCALE)
                self.length += WDF_SCALE


def make_document(document: dict[str, Any]) -> tuple[xapian.Document, list[str]]:
    """The xapian.Document of an index document, and its spelling words (SPELL)."""
    b = _Builder()
    doc = b.doc
    count = b.weighted(document.get(f.ALL, ""))
    b.weighted(document.get(f.ASIDE, ""), f.ASIDE)
    for field in POSITIONAL_FIELDS:
        value = document.get(field)
        if value and field != f.ASIDE:
            if field == f.AUTHOR:
                words = [(w, i) for i, w in enumerate(author_words(value))]
            else:
                words = b.tokens(value)
            b.positional(field, words)
    for field in (f.IDENT, *KEYWORD_FIELDS):
        value = document.get(field)
        if value:
            b.keywords(field, keyword_values(field, value))
    # the exact analyzer's index-mode terms, through its cached per-word path (positioned)
    spelling = list(dict.fromkeys(t for t, _ in _EXACT.positioned(document.get(f.SPELL, ""))))
    spell = prefix(f.SPELL)
    for word in spelling:
        doc.add_boolean_term(spell + word)
    pad = LENGTH_UNIT * count - b.length
    if pad > 0:
        doc.add_term(PAD_TERM, pad)
    record_id, kind = document[f.ID], document[f.TYPE]
    doc.add_boolean_term(id_term(record_id))
    doc.add_boolean_term(term(f.TYPE, kind))
    doc.add_value(SLOT_ID, record_id)
    doc.add_value(SLOT_TYPE, kind)
    doc.add_value(SLOT_HASH, document.get(f.HASH, ""))
    doc.add_value(SLOT_TITLE, document.get(f.TITLE, "").split("\n")[0])
    doc.add_value(SLOT_DISPLAY_DATE, document.get(f.DISPLAY_DATE, ""))
    for field, slot in NUMBER_SLOTS.items():
        number = document.get(field)
        if number is not None:
            doc.add_value(slot, xapian.sortable_serialise(number))
    for field, slot in FACET_SLOTS.items():
        value = document.get(field)
        if value:
            doc.add_value(slot, value)
    doc.set_data(document[f.RECORD])
    return doc, spelling
