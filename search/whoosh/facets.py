"""Facet counting and filtering on the Whoosh backend's bitsets (the table: search/facets.py)."""

from __future__ import annotations

from functools import partial

from search import deadline
from search import fields as f
from search.facets import BY_NAME, FACETS, facet_limit, facet_of, filter_values
from search.models import Facet, SearchRequest
from search.whoosh.docsets import DocSets


def filter_bits(docsets: DocSets, request: SearchRequest, skip: str = "") -> int:
    """Documents allowed by every selected facet except `skip` (all live docs if none)."""
    bits = docsets.live
    for name, values in request.filters:
        if name != skip and values and name in BY_NAME:
            field = BY_NAME[name].field
            bits &= docsets.any_of(
                field, filter_values(BY_NAME[name], values, partial(_known, docsets, field))
            )
    return bits


def _known(docsets: DocSets, field: str) -> list[str]:
    """Every value of a low-cardinality field (a year facet's, for its ranges)."""
    return list(docsets.field(field))


def count_facets(
    docsets: DocSets,
    request: SearchRequest,
    matched: int,
    mesh_labels,  # callable(facet name, values) -> {value: label}
    limits: dict[str, int] | None = None,
) -> tuple[Facet, ...]:
    """Every facet that describes some matching record, with counts and selections."""
    present_types = {t for t in f.TYPES if matched & docsets.term(f.TYPE, t)}
    out = []
    for d in FACETS:
        deadline.check()
        if not present_types.intersection(d.types) and not request.selected(d.name):
            continue
        within = matched & filter_bits(docsets, request, skip=d.name)
        counter = (
            docsets.count_high(d.field, within) if d.high else docsets.count_low(d.field, within)
        )
        limit = facet_limit(d, request, limits)
        facet = facet_of(d, counter, request.selected(d.name), mesh_labels, limit)
        if facet is not None:
            out.append(facet)
    return tuple(out)
