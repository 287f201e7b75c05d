"""Year facets (start year, publication year) on a results page: every year of the result set
as decades, the years of the decade a selection lies in, and a from/to range form. The engine
lists every year of these facets; a range is the facet value `2010..2019` (search/facets.py)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from search import FACETS, Facet, SearchRequest, year_range
from web.params import SearchUrls, selecting

YEAR_FACETS = frozenset(d.name for d in FACETS if d.by_value)
OPEN_LOW, OPEN_HIGH = 0, 9999  # the ends of a range left open (`2015..`, `..1999`)


@dataclass(frozen=True, slots=True)
class YearRow:
    """A decade ("2010s") or a year of the listing, with the link that selects it (or, when
    selected, the one that goes back up: a year to its decade, a decade to no selection)."""

    label: str
    value: str  # "2010..2019" or "2014"
    count: int
    selected: bool
    url: str
    share: int  # percent of the largest decade's count: the bar's width
    years: tuple[YearRow, ...] = ()  # an open decade's years


@dataclass(frozen=True, slots=True)
class YearFacet:
    name: str
    label: str
    rows: tuple[YearRow, ...]  # decades, newest first
    low: str  # the range form's "from" and "to": the current selection's ends
    high: str
    hidden: tuple[tuple[str, str], ...]  # the rest of the search, for the range form
    clear_url: str  # this facet's selection removed ("" when nothing is selected)


def span(value: str) -> tuple[int, int] | None:
    """(first, last) year of a selected value: a year or a range ("2010..2019", "2015..")."""
    return (int(value), int(value)) if value.isdigit() else year_range(value)


def form_pairs(req: SearchRequest, page_size: int) -> tuple[tuple[str, str], ...]:
    """A search's parameters as (name, value) pairs, page 1 (hidden inputs of a form that
    changes one thing)."""
    url = SearchUrls("", req, page_size).url(req)
    return tuple(parse_qsl(url.partition("?")[2]))


def year_facet(facet: Facet, req: SearchRequest, urls: SearchUrls) -> YearFacet:
    """The decades of a year facet (each year of the set reachable: a decade's link selects it
    and lists its years), its selection's ends for the range form, and the form's other fields."""
    name = facet.name
    counts = {int(v.value): v.count for v in facet.values if v.value.isdigit()}
    selection = req.selected(name)
    spans = [s for s in map(span, selection) if s is not None]
    decades: dict[int, int] = {}
    for year, n in counts.items():
        decades[year // 10 * 10] = decades.get(year // 10 * 10, 0) + n
    top = max(decades.values(), default=1)
    lows = [lo for lo, _ in spans]
    highs = [hi for _, hi in spans]
    within = {lo // 10 for lo in lows} | {hi // 10 for hi in highs}
    open_decade = within.pop() * 10 if len(within) == 1 and spans else None
    rows = []
    for decade in sorted(decades, reverse=True):
        value = f"{decade}..{decade + 9}"
        chosen = selection == (value,)
        years: tuple[YearRow, ...] = ()
        if decade == open_decade:
            years = tuple(
                YearRow(
                    str(y),
                    str(y),
                    counts[y],
                    any(lo <= y <= hi for lo, hi in spans),
                    urls.select(name, value)
                    if selection == (str(y),)
                    else urls.select(name, str(y)),
                    round(100 * counts[y] / top),
                )
                for y in sorted((y for y in counts if y // 10 * 10 == decade), reverse=True)
            )
        rows.append(
            YearRow(
                f"{decade}s",
                value,
                decades[decade],
                chosen,
                urls.select(name) if chosen else urls.select(name, value),
                round(100 * decades[decade] / top),
                years,
            )
        )
    rest = selecting(req, name, ())
    return YearFacet(
        name=name,
        label=facet.label,
        rows=tuple(rows),
        low=str(min(lows)) if lows and min(lows) != OPEN_LOW else "",
        high=str(max(highs)) if highs and max(highs) != OPEN_HIGH else "",
        hidden=form_pairs(rest, urls.page_size),
        clear_url=urls.select(name) if selection else "",
    )
