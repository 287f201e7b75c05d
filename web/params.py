"""Query-string parameters <-> SearchRequest, and the links that change one of them.

`/search` and `/api/search` take the same parameters: q, page, size, sort, expand, spell,
rank, mode (`patient`: q is a patient description, search/querymodel.py), all_values (a facet to
list every value of), and any facet name (`type` is one), repeated to OR its values; a year facet
also takes a range (`start_year=2010..2019`). Anything else is refused with a sentence, and so
is a request with more than MAX_PARAMETERS parameters or MAX_FACET_VALUES values of a facet
(each selected value is listed on the page with a link holding all the others: the page would
grow with the square of their number).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from search import (
    EXPANSIONS,
    FACETS,
    MODES,
    RANKS,
    SORTS,
    SPELLINGS,
    InvalidRequest,
    SearchRequest,
    closed_values,
)

FACET_NAMES = tuple(d.name for d in FACETS)
SCALARS = ("q", "page", "size", "sort", "expand", "spell", "mode", "all_values", "rank")
DEFAULT = SearchRequest()
MAX_PARAMETERS = 60
MAX_FACET_VALUES = 20


def _whole_number(args: MultiDict, name: str, default: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise InvalidRequest(f"{name} must be a whole number, not {raw[:40]!r}.")
    if len(raw) > 9:
        raise InvalidRequest(f"{name} is too large: {raw[:40]}.")
    return int(raw)


def _choice(args: MultiDict, name: str, choices: tuple[str, ...], default: str) -> str:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise InvalidRequest(f"{name} must be one of {', '.join(choices)}, not {raw[:40]!r}.")
    return raw


def _check_closed(facet: str, values: tuple[str, ...]) -> None:
    """InvalidRequest for a value a closed facet cannot take (`phase=2`: it is `PHASE2`)."""
    allowed = closed_values(facet)
    for value in values if allowed else ():
        if value not in allowed:
            raise InvalidRequest(
                f"{facet} must be one of {', '.join(allowed)}, not {value[:40]!r}."
            )


def parse_args(args: MultiDict, page_size: int, max_page_size: int) -> SearchRequest:
    """The SearchRequest a query string asks for; InvalidRequest (400) for a bad parameter."""
    count = sum(len(values) for _, values in args.lists())
    if count > MAX_PARAMETERS:
        raise InvalidRequest(
            f"A search takes at most {MAX_PARAMETERS} parameters; this one has {count:,}."
        )
    unknown = [name for name in args if name not in SCALARS and name not in FACET_NAMES]
    if unknown:
        raise InvalidRequest(
            f"Unknown parameter {unknown[0][:40]!r}: use q, page, size, sort, expand, spell, "
            f"mode, all_values, rank or a facet ({', '.join(FACET_NAMES)})."
        )
    size = _whole_number(args, "size", page_size)
    if not 1 <= size <= max_page_size:
        raise InvalidRequest(f"size must be between 1 and {max_page_size}, not {size}.")
    page = _whole_number(args, "page", 1)
    if page < 1:
        raise InvalidRequest("page must be 1 or more.")
    filters = []
    for name in FACET_NAMES:  # declaration order: one canonical URL per selection
        values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        if len(values) > MAX_FACET_VALUES:
            raise InvalidRequest(
                f"Select at most {MAX_FACET_VALUES} values of one facet; this search selects "
                f"{len(values):,} values of {name}."
            )
        _check_closed(name, values)
        if values:
            filters.append((name, values))
    return SearchRequest(
        q=args.get("q", ""),
        filters=tuple(filters),
        page=page,
        size=size,
        sort=_choice(args, "sort", SORTS, DEFAULT.sort),
        expand=_choice(args, "expand", EXPANSIONS, DEFAULT.expand),
        spell=_choice(args, "spell", SPELLINGS, DEFAULT.spell),
        all_values=_choice(args, "all_values", FACET_NAMES, ""),
        mode=_choice(args, "mode", tuple(m for m in MODES if m), DEFAULT.mode),
        rank=_choice(args, "rank", RANKS, DEFAULT.rank),
    )


def toggled(req: SearchRequest, facet: str, value: str) -> SearchRequest:
    """The request with `value` of `facet` selected if it was not, removed if it was; page 1."""
    values = req.selected(facet)
    values = tuple(v for v in values if v != value) if value in values else (*values, value)
    return selecting(req, facet, values)


def selecting(req: SearchRequest, facet: str, values: tuple[str, ...]) -> SearchRequest:
    """The request with exactly `values` of `facet` selected (none: the facet cleared); page 1."""
    selected = {**dict(req.filters), facet: values}
    filters = tuple((n, selected[n]) for n in FACET_NAMES if selected.get(n))
    return replace(req, filters=filters, page=1)


def page_url(kind: str, record_id: str) -> str:
    """This site's page of a record: /trial/<nct>, /article/<pmid>, /mesh/<ui>."""
    return f"/{kind}/{record_id}"


class SearchUrls:
    """Links of a results page: each is the current request with one thing changed."""

    def __init__(self, base: str, req: SearchRequest, page_size: int) -> None:
        self.base = base
        self.req = req
        self.page_size = page_size

    def url(self, req: SearchRequest) -> str:
        pairs: list[tuple[str, str | int]] = [("q", req.q)] if req.q else []
        pairs += [(name, v) for name, values in req.filters for v in values]
        if req.sort != DEFAULT.sort:
            pairs.append(("sort", req.sort))
        if req.expand != DEFAULT.expand:
            pairs.append(("expand", req.expand))
        if req.spell != DEFAULT.spell:
            pairs.append(("spell", req.spell))
        if req.mode:
            pairs.append(("mode", req.mode))
        if req.rank != DEFAULT.rank:
            pairs.append(("rank", req.rank))
        if req.size != self.page_size:
            pairs.append(("size", req.size))
        if req.all_values:
            pairs.append(("all_values", req.all_values))
        if req.page != 1:
            pairs.append(("page", req.page))
        return f"{self.base}?{urlencode(pairs)}" if pairs else self.base

    def toggle(self, facet: str, value: str) -> str:
        return self.url(toggled(self.req, facet, value))

    def select(self, facet: str, *values: str) -> str:
        """This search with exactly `values` of `facet` selected (none: that facet cleared)."""
        return self.url(selecting(self.req, facet, values))

    def all_values(self, facet: str, on: bool = True, prefix: str = "") -> str:
        """This page with every value of `facet` listed (on) or the usual few, scrolled to the
        facet (`prefix`: of its heading's id, for the copy of the filters it is in)."""
        url = self.url(replace(self.req, all_values=facet if on else ""))
        return f"{url}#{prefix}facet-{facet}"

    def page(self, number: int) -> str:
        return self.url(replace(self.req, page=number))

    def sort(self, sort: str) -> str:
        return self.url(replace(self.req, sort=sort, page=1))

    def expand(self, expand: str) -> str:
        return self.url(replace(self.req, expand=expand, page=1))

    def rank(self, rank: str) -> str:
        return self.url(replace(self.req, rank=rank, page=1))

    def query(self, q: str) -> str:
        """Another query (a did-you-mean), corrected again if need be."""
        return self.url(replace(self.req, q=q, page=1, spell=DEFAULT.spell))

    def as_typed(self) -> str:
        """The words as typed, never replaced by a spelling correction ("search instead for")."""
        return self.url(replace(self.req, page=1, spell="off"))

    def clear_filters(self) -> str:
        return self.url(replace(self.req, filters=(), page=1))


def page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page links to show: first, last and a window around the current one (None = a gap)."""
    wanted = {1, last, *range(current - around, current + around + 1)}
    shown = sorted(n for n in wanted if 1 <= n <= last)
    out: list[int | None] = []
    for n in shown:
        previous = out[-1] if out else n - 1
        if previous is not None and n - previous == 2:
            out.append(n - 1)  # a gap of one page: show the page, not "..."
        elif previous is not None and n - previous > 2:
            out.append(None)
        out.append(n)
    return out
