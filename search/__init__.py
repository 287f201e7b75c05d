"""Query side: parse, expand with MeSH, rank, facet and explain; imports whoosh, never flask."""

from search.engine import SearchEngine
from search.errors import DocumentNotFound, IndexNotBuilt, InvalidRequest, SearchError
from search.models import Facet, FacetValue, Hit, SearchPage, SearchRequest

__all__ = [
    "DocumentNotFound",
    "Facet",
    "FacetValue",
    "Hit",
    "IndexNotBuilt",
    "InvalidRequest",
    "SearchEngine",
    "SearchError",
    "SearchPage",
    "SearchRequest",
]
