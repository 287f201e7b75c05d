"""What a search request may ask, the same on every backend: the check each reader makes
before it searches (InvalidRequest with a sentence otherwise)."""

from __future__ import annotations

from search.errors import InvalidRequest
from search.facets import BY_NAME, check_years
from search.models import EXPANSIONS, MODES, RANKS, SORTS, SPELLINGS, SearchRequest

MAX_PAGE_SIZE = 100
MAX_RESULTS_WINDOW = 10_000  # page * size beyond this is refused (deep paging is an export)


def validate(req: SearchRequest) -> None:
    """InvalidRequest for a sort, expansion, spelling mode, rank, page, size or filter a search
    cannot take."""
    if req.sort not in SORTS:
        raise InvalidRequest(f"sort must be one of {', '.join(SORTS)}, not {req.sort!r}.")
    if req.expand not in EXPANSIONS:
        raise InvalidRequest(f"expand must be one of {', '.join(EXPANSIONS)}.")
    if req.spell not in SPELLINGS:
        raise InvalidRequest(f"spell must be one of {', '.join(SPELLINGS)}.")
    if req.mode not in MODES:
        raise InvalidRequest("mode must be patient or left out.")
    if req.rank not in RANKS:
        raise InvalidRequest(f"rank must be one of {', '.join(RANKS)}, not {req.rank!r}.")
    if not 1 <= req.size <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"size must be between 1 and {MAX_PAGE_SIZE}.")
    if req.page < 1 or req.page * req.size > MAX_RESULTS_WINDOW:
        raise InvalidRequest(
            f"page must be at least 1 and page x size at most {MAX_RESULTS_WINDOW:,}."
        )
    for name, values in req.filters:
        if name not in BY_NAME:
            raise InvalidRequest(f"Unknown filter {name!r}.")
        if BY_NAME[name].by_value:
            check_years(name, values)
    if req.all_values and req.all_values not in BY_NAME:
        raise InvalidRequest(f"all_values must name a facet, not {req.all_values[:40]!r}.")
