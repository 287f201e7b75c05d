"""The query and path parameters of the OpenAPI description (web/openapi.py), made from the
tables the code checks them with: the facet table (`FACETS`, closed vocabularies from
`closed_values`), the sorts, expansions, spellings and rankings of `search`, the page size.
"""

from __future__ import annotations

from typing import Any

from search import ALL_VALUES, EXPANSIONS, FACETS, RANKS, SORTS, SPELLINGS, closed_values
from web.schemas import Schema


def param(name: str, schema: Schema, description: str, **extra: Any) -> dict[str, Any]:
    """A query parameter; an empty value (`sort=`, as a form with a blank field sends it)
    counts as absent, hence `allowEmptyValue`."""
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description, "allowEmptyValue": True, **extra}  # fmt: skip


def path_param(name: str, description: str, schema: Schema | None = None, *examples: str) -> dict:
    """A path parameter; `examples` are ids of records in the sample data (and the fixtures)."""
    schema = schema or {"type": "string", "minLength": 1}
    out = {"name": name, "in": "path", "required": True, "schema": schema,
           "description": description}  # fmt: skip
    if examples:
        out["examples"] = {e: {"value": e} for e in examples}
    return out


def facet_parameters() -> list[dict[str, Any]]:
    """One repeatable parameter per facet of the facet table; closed vocabularies as enums."""
    out = []
    for d in FACETS:
        values = closed_values(d.name)
        item: Schema = {"type": "string", "enum": list(values)} if values else {"type": "string"}
        note = "one of the listed values" if values else "a value as listed in `facets`"
        if d.by_value:
            note = "a year, or a range of years: `2010..2019`, `2015..`, `..1999`"
        out.append(param(
            d.name,
            {"type": "array", "items": item},
            f"{d.label} ({note}); repeat to OR values, different facets AND.",
            style="form",
            explode=True,
        ))  # fmt: skip
    return out


def search_parameters(max_size: int, paged: bool = True) -> list[dict[str, Any]]:
    params = [
        param(
            "q",
            {"type": "string"},
            'Words, "phrases", AND/OR/NOT, field:value (README).',
            example="melanoma interleukin-2",
        ),
        param("sort", {"type": "string", "enum": list(SORTS), "default": SORTS[0]}, "Order."),
        param(
            "expand",
            {"type": "string", "enum": list(EXPANSIONS), "default": "synonyms"},
            "MeSH expansion: none, synonyms of a recognised heading, or explode the tree.",
        ),
        param(
            "spell",
            {"type": "string", "enum": list(SPELLINGS), "default": SPELLINGS[0]},
            "auto: when the words find (almost) nothing and a spelling correction is "
            "confident, search the correction (`corrected_from` says so); off: search the "
            "words as typed (a correction is only suggested).",
        ),
        param(
            "all_values",
            {"type": "string", "enum": [d.name for d in FACETS]},
            f"A facet to list every value of (up to {ALL_VALUES:,}, most frequent first) "
            "instead of the usual few.",
        ),
        param(
            "mode",
            {"type": "string", "enum": ["patient"]},
            "patient: q is a patient description (a pasted note); its medical concepts are "
            "searched (negated ones left out), trials only unless `type` says otherwise, and "
            "trials whose eligibility admits the age and sex it states rank first.",
        ),
        param(
            "rank",
            {"type": "string", "enum": list(RANKS), "default": RANKS[0]},
            "Relevance ranking: best (BM25 fused with semantic similarity where the index has "
            "vectors, its first 200 records ordered again by the learned model) or bm25 (BM25 "
            "alone).",
        ),
    ]
    if paged:
        params += [
            param(
                "page",
                {"type": "integer", "minimum": 1, "maximum": 999_999_999, "default": 1},
                "Result page, from 1.",
            ),  # fmt: skip
            param(
                "size",
                {"type": "integer", "minimum": 1, "maximum": max_size},
                "Results per page (PAGE_SIZE when absent).",
            ),  # fmt: skip
        ]
    return params + facet_parameters()


def advanced_parameters() -> list[dict[str, Any]]:
    """The advanced form's own fields (web/advanced.py); `q` is its "other terms" box."""
    text = {"type": "string", "maxLength": 500}
    year = {"type": "string", "pattern": "^[12][0-9]{3}$"}
    out = [
        param("condition", text, 'Searched as `condition:("text")`: the phrase and its MeSH.'),
        param("intervention", text, 'Searched as `intervention:("text")`.'),
        param("location", text, 'Searched as `location:("text")` (city, state or site).'),
        param(
            "eligible_sex",
            {"type": "string", "enum": ["female", "male"]},
            "Trials this sex can join: `sex=FEMALE&sex=ALL` (or MALE).",
        ),
    ]
    for facet in ("start_year", "pub_year"):
        for end in ("from", "to"):
            out.append(param(f"{facet}_{end}", year, f"The {facet} range's {end} year."))
    return out


def limit_param(default: int, most: int, what: str) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 1, "maximum": most, "default": default}
    return param("limit", schema, what)
