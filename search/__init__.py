"""The engine-neutral face of the search side: the only names web/ (and other callers) use.

Requests, results, related items and MeSH pages are frozen dataclasses (search/models.py);
errors carry a sentence (search/errors.py); the facet table is search/facets.py. SearchEngine
opens whichever backend (search/<name>/) wrote the index folder. Imports whoosh or xapian only
inside the backend packages, never flask.
"""

from search.deadline import clear as clear_deadline
from search.deadline import start as start_deadline
from search.engine import SearchEngine
from search.errors import (
    DocumentNotFound,
    IndexNotBuilt,
    InvalidRequest,
    SearchError,
    SearchTimeout,
    ShardUnavailable,
)
from search.explanation import Explanation, explain
from search.facets import (
    ALL_VALUES,
    FACETS,
    TYPE_LABELS,
    FacetDef,
    closed_values,
    value_label,
    year_range,
)
from search.fields import MESH_CATEGORIES
from search.models import (
    EXPANSIONS,
    MODES,
    RANKS,
    SORTS,
    SPELLINGS,
    Descriptor,
    Expansion,
    Facet,
    FacetValue,
    Hit,
    Item,
    Overview,
    Reading,
    Related,
    SearchPage,
    SearchRequest,
    Section,
    Topic,
    TreePosition,
)

__all__ = [
    "ALL_VALUES",
    "EXPANSIONS",
    "MODES",
    "Reading",
    "FACETS",
    "MESH_CATEGORIES",
    "RANKS",
    "SORTS",
    "SPELLINGS",
    "TYPE_LABELS",
    "Descriptor",
    "DocumentNotFound",
    "Expansion",
    "Explanation",
    "Facet",
    "FacetDef",
    "FacetValue",
    "Hit",
    "IndexNotBuilt",
    "InvalidRequest",
    "Item",
    "Overview",
    "Related",
    "SearchEngine",
    "SearchError",
    "SearchPage",
    "SearchRequest",
    "SearchTimeout",
    "ShardUnavailable",
    "Section",
    "Topic",
    "TreePosition",
    "clear_deadline",
    "start_deadline",
    "closed_values",
    "explain",
    "value_label",
    "year_range",
]
