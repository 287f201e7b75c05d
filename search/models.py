"""Frozen dataclasses the search side hands to its callers (the web layer renders them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SORTS = ("relevance", "newest", "oldest", "updated")  # updated: trials' last update
EXPANSIONS = ("none", "synonyms", "explode")
SPELLINGS = ("auto", "off")  # auto: a confident correction is searched at once (autocorrect.py)
# How the query text is read: "" as typed (its shape decides, search/querymodel.py), or
# "patient" (a patient description: trials that admit the patient's age and sex rank first).
MODES = ("", "patient")
# best: BM25 fused with semantic similarity where the index has vectors (search/semantic/);
# bm25: BM25 alone
RANKS = ("best", "bm25")


@dataclass(frozen=True, slots=True)
class SearchRequest:
    q: str = ""
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (facet name, selected values)
    page: int = 1
    size: int = 10
    sort: str = "relevance"
    expand: str = "synonyms"
    spell: str = "auto"
    all_values: str = ""  # a facet to list every value of (up to search/facets.py ALL_VALUES)
    mode: str = ""
    rank: str = "best"

    def selected(self, facet: str) -> tuple[str, ...]:
        return dict(self.filters).get(facet, ())


@dataclass(frozen=True, slots=True)
class Expansion:
    """A query phrase recognised as a MeSH term and what it added to the search."""

    phrase: str
    ui: str
    heading: str
    mode: str  # synonyms | explode
    narrower: int = 0  # descriptors added by explode (tree numbers under this one)


@dataclass(frozen=True, slots=True)
class Reading:
    """How the query text was read (search/querymodel.py): its shape, and for a description
    the medical concepts searched, the negated stretches left out and the patient's age and
    sex (patient mode)."""

    shape: str  # keywords | question | description
    concepts: tuple[str, ...] = ()  # MeSH headings found in the text
    negated: tuple[str, ...] = ()
    age: float | None = None  # years
    sex: str = ""  # male | female | "" (not stated)
    eligible_first: bool = False  # trials admitting the patient ranked above the others


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    type: str
    title: str
    url: str
    snippet: str  # HTML: escaped text with <mark> around matched words
    score: float | None  # relevance score; None when sorted by date
    fields: dict[str, Any] = field(default_factory=dict)  # type-specific fields for lists
    partial: bool = False  # listed after the full matches: has some of the words, not enough


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True, slots=True)
class Facet:
    name: str
    label: str
    values: tuple[FacetValue, ...]
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class SearchPage:
    request: SearchRequest
    total: int
    hits: tuple[Hit, ...]
    facets: tuple[Facet, ...]
    suggestion: str | None
    parsed: str
    expansions: tuple[Expansion, ...]
    partial: bool = False  # no record matched enough of the words: these match some of them
    more: int = 0  # records with some of the words, listed after the `total` full matches
    # The text searched instead of request.q: a confident spelling correction of it
    # (search/autocorrect.py); None when the words were searched as typed.
    corrected: str | None = None
    # date sorts: how many of the `total` are strong matches, listed first (search/datesort.py);
    # None for relevance, or when every match is strong (no plain words)
    strong: int | None = None
    reading: Reading | None = None  # how the query text was read (None: no text)
    # how the listing was ordered: "bm25", "bm25+semantic" or "bm25+semantic+ltr" (search/ltr/)
    ranking: str = "bm25"

    @property
    def listed(self) -> int:
        """Records a relevance listing pages through: the full matches, then the partial."""
        return self.total + self.more

    @property
    def pages(self) -> int:
        return max(1, -(-self.listed // self.request.size))


# -- related items and MeSH pages --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Descriptor:
    ui: str
    heading: str
    scope_note: str
    entry_terms: tuple[str, ...]
    tree_numbers: tuple[str, ...]

    @property
    def depth(self) -> int:
        """Levels below the root of its deepest tree number (C04 is 1, C04.557 is 2); 0 if none."""
        return max((t.count(".") + 1 for t in self.tree_numbers), default=0)


@dataclass(frozen=True, slots=True)
class TreePosition:
    """One tree number of a descriptor: the chain above it and the descriptors right below."""

    tree_number: str
    broader: tuple[tuple[str, Descriptor | None], ...]  # (tree number, descriptor) root first
    narrower: tuple[tuple[str, Descriptor], ...]
    more_narrower: int = 0  # narrower ones not listed (beyond the backend's limit)


@dataclass(frozen=True, slots=True)
class Item:
    """A related record (its page's URL is the web layer's: web/params.py page_url)."""

    id: str
    type: str
    title: str
    reason: str
    score: float | None = None  # similarity in [0, ~1]; None for an explicit link
    note: str = ""  # a MeSH item's scope note


@dataclass(frozen=True, slots=True)
class Section:
    items: tuple[Item, ...]
    total: int  # related records in all (items holds the top ones)
    explicit: int = 0  # how many of the first items are explicit links
    # Similar records: the explicit links plus the candidates scoring at least half the best
    # one (search/related_similar.py Tuning.strong_share); None where every record counts
    strong: int | None = None
    close_items: int = 0  # how many of the first items are close matches (strong ones)
    more_query: str = ""  # search syntax listing the weaker related records too
    more_about: str = ""  # what that search looks for, in words ("Melanoma or Thalidomide")


@dataclass(frozen=True, slots=True)
class Topic:
    code: str  # a second-level MeSH tree branch, "C04"
    label: str  # its descriptor, "Neoplasms"
    category: str  # its tree, "Diseases"
    count: int  # records in the topic (the `topic` facet)


@dataclass(frozen=True, slots=True)
class Related:
    id: str
    type: str
    trials: Section
    articles: Section
    mesh: Section
    topics: tuple[Topic, ...] = ()
    # A trial's MeSH terms that no MeSH record of the index defines: (term, reason).
    undefined: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Overview:
    """A MeSH page: the descriptor, its tree positions, and what is indexed with it."""

    descriptor: Descriptor
    positions: tuple[TreePosition, ...]
    query: str  # search syntax for "this descriptor or a narrower one"
    trials: int  # indexed with the descriptor itself
    trials_narrower: int  # ... or with a narrower one
    articles: int
    articles_narrower: int
    by_status: tuple[tuple[str, int], ...]  # trials (with narrower), most first
    by_phase: tuple[tuple[str, int], ...]
    by_year: tuple[tuple[str, int], ...]  # articles (with narrower), newest year first
