"""Requests on the Xapian backend: validation, facet filters (as NumPy masks for counting and
as boolean terms for ranking) and facet counts (the table: search/facets.py).

Counts are over the whole match set with the OTHER facets' selections applied: values within a
facet are OR'ed (multi-select), facets are AND'ed, multi-valued fields count each value."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xapian

from search import fields as f
from search.facets import (
    BY_NAME,
    FACETS,
    ValueCounts,
    facet_limit,
    facet_of,
    filter_values,
)
from search.models import Facet, SearchRequest
from search.xapian.schema import term
from search.xapian.tables import Tables


def filter_mask(tables: Tables, req: SearchRequest, skip: str = "") -> np.ndarray:
    """Documents allowed by every selected facet except `skip` (all live docs if none)."""
    mask = tables.live.copy()
    for name, values in req.filters:
        if name != skip and values and name in BY_NAME:
            mask &= tables.any_of(BY_NAME[name].field, _values(tables, name, values))
    return mask


def _values(tables: Tables, name: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """The field values a selection stands for (a range of years: each year inside it)."""
    d = BY_NAME[name]
    return filter_values(d, values, lambda: tables.facet(d.field)[0])


def filter_query(req: SearchRequest, tables: Tables) -> xapian.Query | None:
    """The same filters as a boolean query (None when nothing is selected)."""
    q = xapian.Query
    parts = [
        q(q.OP_OR, [q(term(BY_NAME[name].field, v)) for v in _values(tables, name, values)])
        for name, values in req.filters
        if values and name in BY_NAME
    ]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else q(q.OP_AND, parts)


def count_facets(
    tables: Tables,
    req: SearchRequest,
    matched: np.ndarray,
    mesh_labels: Callable[[str, list[str]], dict[str, str]],
    limits: dict[str, int] | None = None,
) -> tuple[Facet, ...]:
    """Every facet that describes some matching record, with counts and selections."""
    allowed = matched & filter_mask(tables, req)  # what a facet with no selection counts in
    allowed_ids = np.flatnonzero(allowed)
    every = tables.counts_every(allowed_ids)  # each facet with no selection: one pass
    if every is not None and not any(values for _, values in req.filters):
        types = tables.facet(f.TYPE)[0]  # (allowed: the matches, each of one type)
        present = {types[i] for i in every[f.TYPE][0].tolist()}
    else:
        present = {t for t in f.TYPES if (matched & tables.term(f.TYPE, t)).any()}
    out = []
    for d in FACETS:
        if not present.intersection(d.types) and not req.selected(d.name):
            continue
        if any(name == d.name and values for name, values in req.filters):
            found = tables.counts(d.field, matched & filter_mask(tables, req, skip=d.name))
        elif every is not None:
            found = every[d.field]
        else:
            found = tables.counts(d.field, allowed, allowed_ids)
        names, index, ranks = tables.facet(d.field)[0], tables.index(d.field), tables.ranks(d.field)
        counts = ValueCounts(names, index, ranks, *found)
        limit = facet_limit(d, req, limits)
        facet = facet_of(d, counts, req.selected(d.name), mesh_labels, limit)
        if facet is not None:
            out.append(facet)
    return tuple(out)
