"""Frozen dataclasses the search side hands to its callers (the web layer renders them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SORTS = ("relevance", "newest", "oldest")
EXPANSIONS = ("none", "synonyms", "explode")


@dataclass(frozen=True, slots=True)
class SearchRequest:
    q: str = ""
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (facet name, selected values)
    page: int = 1
    size: int = 10
    sort: str = "relevance"
    expand: str = "synonyms"

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
class Hit:
    id: str
    type: str
    title: str
    url: str
    snippet: str  # HTML: escaped text with <mark> around matched words
    score: float | None  # relevance score; None when sorted by date
    fields: dict[str, Any] = field(default_factory=dict)  # type-specific fields for lists


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

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.size))
