"""Counting on one shard: the exact total and facet value counts of a boolean query's matches
within sets of facet selections, over the shard's own per-document arrays
(search/xapian/tables.py), in the process that holds the shard's database.

One unscored match gives the query's docids (a mask); each group's selections are a NumPy mask
of the shard's documents (search/xapian/facets.py filter_mask, as one database counts them), and
each of its fields is counted over the two masks' intersection. A multi-valued field counts each
of its values (never the joined strings a value-count match spy returns, one per distinct set of
values). A count server (search/xapian/countserver.py) serves this to the web nodes, on the shard
database search/xapian/shardcounter.py holds open; the counts of the shards of an index add up
to one database's (add_up; tests/test_countserver.py).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

import numpy as np
import xapian

from search import fields as f
from search.errors import InvalidRequest
from search.facets import BY_NAME
from search.models import SearchRequest
from search.xapian import facets as xfacets
from search.xapian.schema import FACET_SLOTS, NUMBER_SLOTS
from search.xapian.tables import Tables, match_count, match_mask

Filters = tuple[tuple[str, tuple[str, ...]], ...]
Range = tuple[str, int | None, int | None]  # (a NUMBER_SLOTS field, low, high): None is open
MAX_RANGES = 8  # numeric ranges AND'ed with one query
EVERY_TYPE = "*"  # a field name standing for the type field (the types of the whole match set)
MAX_GROUPS = 64  # groups in one request (a search asks at most one per facet, plus two)
MAX_VALUES = 1_000  # selected values in one group


class Group(NamedTuple):
    """Count `fields` over the matches (of `query`, else of the request's query) that the
    facet selections `filters` allow; with `minus`, over those of `query` the request's
    query does not match (its AND NOT, the request's query's matches read once). A group of
    its own `query` with no fields, filters, ranges or `minus` is only a total: Xapian counts
    it without its docids being read (tables.match_count). `ranges`: numeric ranges its own
    query's matches must be within, taken from the shard's arrays (Tables.in_range): Xapian
    1.4.26 checks a range for each document of an OR holding a phrase."""

    filters: Filters
    fields: tuple[str, ...]
    query: xapian.Query | None = None
    minus: bool = False
    ranges: tuple[Range, ...] = ()


class Counted(NamedTuple):
    total: int
    counts: dict[str, Counter[str]]  # field (or EVERY_TYPE) -> value -> matching records


def check_ranges(ranges: tuple[Range, ...]) -> None:
    """InvalidRequest unless every range is of a numeric field, within the limit."""
    if len(ranges) > MAX_RANGES:
        raise InvalidRequest(f"A query is AND'ed with at most {MAX_RANGES} ranges.")
    for field, *ends in ranges:
        if field not in NUMBER_SLOTS:
            raise InvalidRequest(f"{field!r} has no numbers to count a range of.")
        if any(e is not None and (type(e) is not int or abs(e) > 10**9) for e in ends):
            raise InvalidRequest("A range's ends are whole numbers or null.")


def check_groups(groups: list[Group]) -> None:
    """InvalidRequest unless every group names known facets and fields, within the limits."""
    if not 0 < len(groups) <= MAX_GROUPS:
        raise InvalidRequest(f"A count asks for 1 to {MAX_GROUPS} groups, not {len(groups)}.")
    for group in groups:
        check_ranges(group.ranges)
        values = sum(len(v) for _, v in group.filters)
        if values > MAX_VALUES:
            raise InvalidRequest(f"A group selects {values} values (at most {MAX_VALUES}).")
        unknown = [n for n, _ in group.filters if n not in BY_NAME]
        unknown += [x for x in group.fields if x != EVERY_TYPE and x not in FACET_SLOTS]
        if unknown:
            raise InvalidRequest(f"No facet or facet field is named {unknown[0]!r}.")


def count(
    db: xapian.Database,
    tables: Tables,
    query: xapian.Query,
    groups: list[Group],
    ranges: tuple[Range, ...] = (),
) -> list[Counted]:
    """Each group's total and its fields' value counts among the matches of `query` within
    `ranges` (or of the group's own query within its own), each query matched once."""
    check_groups(groups)
    check_ranges(ranges)
    masks: dict[tuple[bytes, tuple[Range, ...]], np.ndarray] = {}

    def matches(q: xapian.Query, within: tuple[Range, ...]) -> np.ndarray:
        key = (q.serialise(), within)
        found = masks.get(key)
        if found is None:
            found = masks[key] = match_mask(db, q, tables.size)
            for field, low, high in within:
                found &= tables.in_range(field, low, high)
        return found

    out = []
    for group in groups:
        own = group.query is not None
        if own and not (group.fields or group.filters or group.minus or group.ranges):
            out.append(Counted(match_count(db, group.query), {}))
            continue
        matched = matches(group.query, group.ranges) if own else matches(query, ranges)
        if group.minus and own:
            matched = matched & ~matches(query, ranges)
        if group.filters:
            within = matched & xfacets.filter_mask(tables, SearchRequest(filters=group.filters))
        else:
            within = matched
        ids = np.flatnonzero(within)
        fields = [f.TYPE if name == EVERY_TYPE else name for name in group.fields]
        # several fields: one pass over the documents' values of every field, when they are
        # few enough (16 fields over 300 match sets of the full data's searches: 730 -> 427 ms)
        every = tables.counts_every(ids) if len(set(fields)) > 1 else None
        counts = {}
        for name, field in zip(group.fields, fields, strict=True):
            if every is not None and field in every:
                counts[name] = tables.named(field, *every[field])
            else:
                counts[name] = tables.count(field, within, ids)
        out.append(Counted(len(ids), counts))
    return out


def add_up(groups: list[Group], answers: list[list[Any]]) -> list[Counted]:
    """Each group's total and value counts over every shard: `answers[k][i]` is shard k's
    count of group i, a Counted or its JSON ({"total": N, "counts": {field: {value: N}}})."""
    out = []
    for i, group in enumerate(groups):
        parts = [a[i] if isinstance(a[i], Counted) else Counted(a[i]["total"], a[i]["counts"])
                 for a in answers]  # fmt: skip
        counts: dict[str, Counter[str]] = {}
        for name in group.fields:
            found: Counter[str] = Counter()
            for part in parts:
                found.update(part.counts[name])
            counts[name] = found
        out.append(Counted(sum(p.total for p in parts), counts))
    return out
