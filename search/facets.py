"""The facet table (URL name, index field, label, value labels): the same for every backend.

Counts are over the whole result set with the OTHER facets' selections applied: values within
one facet are OR'ed (multi-select), facets are AND'ed. Labels for MeSH facets come from the
MeSH documents of the index (heading of a UI or of a tree number). Each backend counts
(search/whoosh/facets.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from search import fields as f
from search.errors import InvalidRequest
from search.models import Facet, FacetValue, SearchRequest

DEFAULT_LIMIT = 10
# A year facet (`by_value`) lists every year of the result set (a year field has a few hundred
# values at most), so a page can show them all as decades; this bounds it all the same.
YEAR_VALUES = 400
# Values of one facet listed when a request asks for all of them (`SearchRequest.all_values`).
ALL_VALUES = 500
# A facet's values are ordered in Python up to this many counted, else the first `limit` are
# picked by a NumPy partition first (facet_of).
PARTITION_FROM = 64
# A year facet also takes a range of years, the query language's `year:` syntax: 2010..2019,
# 2015.. (from 2015 on), ..1999 (up to 1999).
YEAR_RANGE = re.compile(
    r"^([12]\d{3})?\.\.([12]\d{3})?$"
)  # years 1000-2999: 0 and 9999 mark open ends
# MeSH check tags (humans, sex, age groups, common laboratory animals): on almost every record,
# so they say nothing about a result set; left out of the MeSH facet (still usable as filters).
CHECK_TAGS = frozenset({
    "D006801", "D000818", "D005260", "D008297", "D000328", "D000368", "D000369", "D008875",
    "D002648", "D002675", "D007223", "D007231", "D000293", "D055815", "D011247", "D051379",
    "D051381", "D002417", "D004285", "D006224", "D011817", "D006168", "D066298", "D018570",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class FacetDef:
    name: str  # URL parameter
    field: str
    label: str
    types: tuple[str, ...]  # record types it describes (shown when the results have them)
    high: bool = False  # many values: counted per document
    by_value: bool = False  # list values in descending value order (years), not by count
    limit: int = DEFAULT_LIMIT
    closed: bool = False  # VALUE_LABELS lists every value it can take (others are refused)


T, A, M = f.TRIAL, f.ARTICLE, f.MESH_TYPE
FACETS: tuple[FacetDef, ...] = (
    FacetDef("type", f.TYPE, "Record type", (T, A, M), closed=True),
    FacetDef("status", f.STATUS, "Recruitment status", (T,), limit=20),
    FacetDef("phase", f.PHASE, "Phase", (T,), closed=True),
    FacetDef("study_type", f.STUDY_TYPE, "Study type", (T,)),
    FacetDef("sex", f.SEX, "Sex", (T,), closed=True),
    FacetDef("age", f.AGE_GROUP, "Age group", (T,), closed=True),
    FacetDef("sponsor_class", f.SPONSOR_CLASS, "Lead sponsor", (T,)),
    FacetDef("results", f.HAS_RESULTS, "Results", (T,), closed=True),
    FacetDef("country", f.COUNTRY, "Country", (T,), high=True),
    FacetDef("start_year", f.START_YEAR, "Start year", (T,), by_value=True),
    FacetDef("pub_year", f.PUB_YEAR, "Publication year", (A,), by_value=True),
    FacetDef("pub_type", f.PUB_TYPE, "Publication type", (A,), high=True),
    FacetDef("journal", f.JOURNAL_NAME, "Journal", (A,), high=True),
    FacetDef("language", f.LANGUAGE, "Language", (A,)),
    FacetDef("mesh", f.MESH_UI, "MeSH descriptor", (T, A, M), high=True),
    FacetDef("topic", f.MESH_CAT, "MeSH topic", (T, A, M)),
)
BY_NAME = {d.name: d for d in FACETS}
YEAR_FACETS = frozenset(d.name for d in FACETS if d.by_value)

TYPE_LABELS = {T: "Clinical trials", A: "PubMed articles", M: "MeSH definitions"}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "type": TYPE_LABELS,
    "status": {"ACTIVE_NOT_RECRUITING": "Active, not recruiting", "UNKNOWN": "Unknown status",
               "ENROLLING_BY_INVITATION": "Enrolling by invitation",
               "NO_LONGER_AVAILABLE": "No longer available",
               "TEMPORARILY_NOT_AVAILABLE": "Temporarily not available",
               "APPROVED_FOR_MARKETING": "Approved for marketing"},
    "phase": {"EARLY_PHASE1": "Early phase 1", "PHASE1": "Phase 1", "PHASE2": "Phase 2",
              "PHASE3": "Phase 3", "PHASE4": "Phase 4", "NA": "Not applicable"},
    "age": {"child": "Child (birth-17)", "adult": "Adult (18-64)",
            "older_adult": "Older adult (65+)"},
    "sponsor_class": {"NIH": "NIH", "FED": "U.S. federal", "INDUSTRY": "Industry",
                      "OTHER_GOV": "Other government", "INDIV": "Individual",
                      "NETWORK": "Network", "OTHER": "Other", "UNKNOWN": "Unknown"},
    "results": {"yes": "With results", "no": "Without results"},
    "sex": {"ALL": "All", "FEMALE": "Female", "MALE": "Male"},
    "language": {"eng": "English", "fre": "French", "ger": "German", "spa": "Spanish",
                 "ita": "Italian", "jpn": "Japanese", "rus": "Russian", "chi": "Chinese",
                 "por": "Portuguese", "pol": "Polish", "dut": "Dutch", "swe": "Swedish",
                 "cze": "Czech", "dan": "Danish", "nor": "Norwegian", "hun": "Hungarian",
                 "fin": "Finnish", "kor": "Korean", "tur": "Turkish", "heb": "Hebrew"},
}  # fmt: skip


def closed_values(facet: str) -> tuple[str, ...]:
    """Every value a closed facet can take (`phase`: EARLY_PHASE1 ... NA); () for open ones."""
    d = BY_NAME.get(facet)
    return tuple(VALUE_LABELS[facet]) if d is not None and d.closed else ()


def enum_label(value: str) -> str:
    """'ACTIVE_NOT_RECRUITING' -> 'Active not recruiting' (when no better label is declared)."""
    if value.isupper() and len(value) > 3:
        return value.replace("_", " ").capitalize()
    return value


def year_range(value: str) -> tuple[int, int] | None:
    """(first, last) year of a range value ("2010..2019"; an open end is 0 or 9999); None when
    `value` is no range."""
    m = YEAR_RANGE.match(value)
    if m is None or not (m.group(1) or m.group(2)):
        return None
    return int(m.group(1) or 0), int(m.group(2) or 9999)


def check_years(facet: str, values: Iterable[str]) -> None:
    """InvalidRequest unless each value of a year facet is a year or a range of years."""
    for value in values:
        if value.isascii() and value.isdigit() and len(value) == 4:
            continue
        span = year_range(value)
        if span is None:
            raise InvalidRequest(
                f"{facet} takes a year (2015) or a range of years (2010..2019, 2015.., ..1999), "
                f"not {value[:40]!r}."
            )
        if span[0] > span[1]:
            raise InvalidRequest(f"The {facet} range {value} ends before it starts.")


def filter_values(
    d: FacetDef, values: tuple[str, ...], known: Callable[[], Iterable[str]]
) -> tuple[str, ...]:
    """The index values a facet selection stands for: each value itself, and for a range of
    years every year of the index (`known()`: the facet field's values) inside it."""
    spans = [s for s in map(year_range, values) if s is not None] if d.by_value else []
    if not spans:
        return values
    plain = [v for v in values if year_range(v) is None]
    inside = [k for k in known() if k.isdigit() and any(lo <= int(k) <= hi for lo, hi in spans)]
    return (*plain, *inside)


def facet_limit(d: FacetDef, req: SearchRequest, limits: dict[str, int] | None) -> int:
    """Values to list of facet `d`: every year of a year facet, up to ALL_VALUES when the
    request asks for all of this facet's values, else the configured limit."""
    if d.by_value:
        return YEAR_VALUES
    if req.all_values == d.name:
        return ALL_VALUES
    return (limits or {}).get(d.name, d.limit)


def value_label(facet: str, value: str, mesh_labels: dict[str, str] | None = None) -> str:
    if facet in ("mesh", "topic") and mesh_labels is not None:
        return mesh_labels.get(value, value)
    span = year_range(value) if facet in YEAR_FACETS and not value.isdigit() else None
    if span is not None:
        first, last = span
        if not first:
            return f"{last} or earlier"
        if last == 9999:
            return f"{first} or later"
        return str(first) if first == last else f"{first}\u2013{last}"
    return VALUE_LABELS.get(facet, {}).get(value) or enum_label(value)


@dataclass(frozen=True, slots=True)
class ValueCounts:
    """A facet field's value counts as arrays: `found` (ascending indices into `names`, the
    field's values; `index`: a name's index) counted `counts`; `ranks`: each index's place
    among `names` in Python's string order (ties in a count are listed by name), needed only
    when more than PARTITION_FROM values are counted."""

    names: Sequence[str]
    index: Mapping[str, int]
    ranks: np.ndarray | None
    found: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, counter: Counter[str]) -> ValueCounts:
        names = list(counter)
        ranks = None
        if len(names) > PARTITION_FROM:
            ranks = np.empty(len(names), dtype=np.int64)
            ranks[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
        index = {name: i for i, name in enumerate(names)}
        counts = np.fromiter(counter.values(), dtype=np.int64, count=len(names))
        return cls(names, index, ranks, np.arange(len(names)), counts)


def facet_of(
    d: FacetDef,
    counter: Counter[str] | ValueCounts,
    selected: tuple[str, ...],
    mesh_labels: Callable[[str, list[str]], dict[str, str]],
    limit: int,
) -> Facet | None:
    """One facet from its value counts (each backend counts): MeSH check tags left out,
    selected values kept even when uncounted or beyond the limit, ordered by count then name
    (years by value, those inside a selected range selected); None when it has no value to
    show. Of more than PARTITION_FROM counted values, the first `limit` are picked by one
    NumPy partition before they are sorted (a facet can count thousands of values)."""
    vc = counter if isinstance(counter, ValueCounts) else ValueCounts.of(counter)
    found, counts = vc.found, vc.counts
    if d.name == "mesh":
        tags = np.array([vc.index[t] for t in CHECK_TAGS if t in vc.index], dtype=np.int64)
        at = np.searchsorted(found, tags)
        at = at[found[np.minimum(at, len(found) - 1)] == tags] if len(found) else at[:0]
        if len(at):
            found, counts = np.delete(found, at), np.delete(counts, at)
    spans = [s for s in map(year_range, selected) if s is not None] if d.by_value else []
    chosen = {v for v in selected if not spans or year_range(v) is None}
    counted = dict(_counts_of(vc, found, counts, chosen))
    added = [(v, 0) for v in chosen if v not in counted]  # selected, not counted
    values = len(found) + len(added)
    if not d.by_value and len(found) > max(limit, PARTITION_FROM) and vc.ranks is not None:
        order = counts.astype(np.int64) * -len(vc.ranks) + vc.ranks[found]  # count, then name
        first = np.argpartition(order, limit - 1)[:limit] if limit > 0 else found[:0]
        found, counts = found[first], counts[first]  # the first `limit`, in no order
    items = list(zip(map(vc.names.__getitem__, found.tolist()), counts.tolist(), strict=True))
    key: Callable[[tuple[str, int]], object] = _by_count
    if d.by_value:  # a year inside a selected range is selected too
        inside = [kv for kv in items if kv[0].isdigit() and _within(int(kv[0]), spans)]
        chosen.update(v for v, _ in inside)
        counted.update(inside)
        key = _value
    top = sorted(items + added, key=key, reverse=d.by_value)[:limit]
    rest = sorted(((v, counted.get(v, 0)) for v in chosen), key=key, reverse=d.by_value)
    in_top = {v for v, _ in top}
    shown = top + [kv for kv in rest if kv[0] not in in_top]
    if not shown:
        return None
    labels = mesh_labels(d.name, [v for v, _ in shown]) if d.name in ("mesh", "topic") else None
    out = tuple(FacetValue(v, value_label(d.name, v, labels), n, v in chosen) for v, n in shown)
    return Facet(d.name, d.label, out, truncated=values > limit)


def _within(year: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= year <= b for a, b in spans)


def _counts_of(
    vc: ValueCounts, found: np.ndarray, counts: np.ndarray, names: Iterable[str]
) -> Iterable[tuple[str, int]]:
    """(name, count) of those of `names` counted in `found`."""
    for name in names:
        i = vc.index.get(name)
        if i is not None:
            at = int(np.searchsorted(found, i))
            if at < len(found) and found[at] == i:
                yield name, int(counts[at])


def _value(kv: tuple[str, int]) -> str:
    return kv[0]


def _by_count(kv: tuple[str, int]) -> tuple[int, str]:
    return -kv[1], kv[0]
