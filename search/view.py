"""The index view: what the engine-neutral algorithms read of one index version.

Related items (search/related.py, related_similar.py), the MeSH tree and MeSH pages
(search/related_mesh.py) and did-you-mean (search/spelling.py) are written once, against this
protocol; each backend implements it over its own index (search/whoosh/view.py). Field names
are those of search/fields.py; terms are as indexed (stemmed text terms, keyword values as
written).

Documents are numbered by the backend (Whoosh: docnums from 0; Xapian: docids from 1) and sets
of them are bitsets (search/bitsets.py). Every set a view hands out holds live documents only.
A view is read by one thread at a time (its reader holds the lock); it is cheap to keep for
the life of an index version, and `version` names that version (caches are keyed on it).
A backend's reader gives its current view with `view()`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol


class Head(NamedTuple):
    """What a list of records shows of one."""

    id: str
    type: str  # trial | article | mesh
    title: str  # its first title line ('' if none)


class IndexView(Protocol):
    version: Hashable  # the index version (a new build, or an update committed: a new value)
    live: int  # every live document (a bitset)
    b: float  # BM25 length normalization and term-frequency saturation of this reader
    k1: float

    # -- records ---------------------------------------------------------------------------
    def docnum(self, record_id: str) -> int | None:
        """The live document of the record with this id, or None."""
        ...

    def head(self, docnum: int) -> Head:
        """Id, type and title of a document."""
        ...

    def record(self, docnum: int) -> dict[str, Any]:
        """The stored record of a document (search/fields.py unpack_record)."""
        ...

    def date(self, docnum: int) -> int:
        """The document's `date` number (YYYYMMDD, 0 when undated): newest first."""
        ...

    # -- sets and values -------------------------------------------------------------------
    def term(self, field: str, value: str) -> int:
        """Documents holding `value` in `field` (a bitset)."""
        ...

    def terms_under(self, field: str, prefix: str) -> list[str]:
        """Terms of `field` that start with `prefix` and some document holds, in term order
        (MeSH tree numbers below one: `prefix` "C04.557.")."""
        ...

    def union_under(self, field: str, prefix: str) -> int:
        """Documents holding a term of `field` that starts with `prefix` (a bitset): the union
        of `term` over `terms_under`, which a backend may find in one pass."""
        ...

    def count_values(self, field: str, within: int) -> Counter[str]:
        """Documents of the bitset `within` holding each value of a keyword field (values
        held by none left out)."""
        ...

    # -- term statistics (as the backend's ranker sees them) ----------------------------------
    def doc_count(self) -> int:
        """N of BM25's idf (search/scoring.py idf, with doc_frequency)."""
        ...

    def doc_frequency(self, field: str, term: str) -> int:
        """Documents holding the term (n of BM25's idf)."""
        ...

    def frequency(self, field: str, term: str) -> float:
        """Occurrences of the term in the whole index (0 if no document holds it)."""
        ...

    def avg_length(self, field: str) -> float:
        """A document's average length in `field` (BM25's avgdl)."""
        ...

    def length(self, docnum: int, field: str) -> float:
        """The document's length in `field` (0 if unknown)."""
        ...

    def weights(self, field: str, term: str, docs: Sequence[int]) -> dict[int, float]:
        """The term's (section-weighted) frequency in each of `docs` (ascending; each one
        holds the term): BM25F's tf, read from the postings at those documents only."""
        ...

    # -- vocabulary ------------------------------------------------------------------------
    def words_within(self, field: str, word: str, distance: int, prefix: int) -> Iterable[str]:
        """Terms of `field` within `distance` edits (Levenshtein: insert, delete, replace) of
        `word` and sharing its first `prefix` letters, in any order; `word` itself may be
        among them (search/spelling.py within() is the rule)."""
        ...
