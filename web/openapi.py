"""The OpenAPI 3.1 description of every route, served at /api/openapi.json.

Parameters come from the same tables the code checks them with: the facet table (`FACETS`,
closed vocabularies from `closed_values`), the sorts and expansion modes of `search`, the page
size setting and the limits of the related lists and exports. Response schemas are in
web/schemas.py; the tests validate every JSON response they receive against this description.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from search import ALL_VALUES, EXPANSIONS, FACETS, RANKS, SORTS, SPELLINGS, closed_values
from web import schemas
from web.export import CHOSEN_MAX, EXPORT_MAX, FORMATS
from web.schemas import Schema, ref

HTML = "text/html"
JSON = "application/json"
METRICS_TYPE = "text/plain"
RELATED_LIMIT = (10, 50)  # default, most (web/items.py)
CHOSEN_IDS = {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": CHOSEN_MAX}
CHOSEN_NOTE = (
    f"A record's id (NCT number, PMID, MeSH UI); repeat, at most {CHOSEN_MAX}. Ids no record "
    "has are skipped (404 when none is left)."
)
MISSING_HEADER = {
    "description": "The chosen ids no record has (skipped), space-separated; absent when "
    "every one was exported.",
    "schema": {"type": "string"},
}
ERRORS = {
    400: "A bad parameter (the sentence says which and why).",
    404: "No record has this id, or no page is at this address (an export format not listed).",
    405: "Only GET (and HEAD) are answered.",
    503: "No index has been built yet, or a shard server did not answer in time.",
    500: "Something unexpected went wrong (logged); never for anything a user can type.",
}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {HTML: {"schema": {"type": "string"}}}}


def _json(description: str, schema: Schema) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*codes: int, media: tuple[str, ...] = (JSON,)) -> dict[str, Any]:
    """Error responses: JSON `{"error", "status"}` under /api/ and for .json paths, else a page."""
    content = {m: {"schema": ref("Error") if m == JSON else {"type": "string"}} for m in media}
    return {str(c): {"description": ERRORS[c], "content": content} for c in (*codes, 500)}


def _query(name: str, schema: Schema, description: str, **extra: Any) -> dict[str, Any]:
    """A query parameter; an empty value (`sort=`, as a form with a blank field sends it)
    counts as absent, hence `allowEmptyValue`."""
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description, "allowEmptyValue": True, **extra}  # fmt: skip


def _path(name: str, description: str, schema: Schema | None = None, *examples: str) -> dict:
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
        out.append(_query(
            d.name,
            {"type": "array", "items": item},
            f"{d.label} ({note}); repeat to OR values, different facets AND.",
            style="form",
            explode=True,
        ))  # fmt: skip
    return out


def search_parameters(max_size: int, paged: bool = True) -> list[dict[str, Any]]:
    params = [
        _query(
            "q",
            {"type": "string"},
            'Words, "phrases", AND/OR/NOT, field:value (README).',
            example="melanoma interleukin-2",
        ),
        _query("sort", {"type": "string", "enum": list(SORTS), "default": SORTS[0]}, "Order."),
        _query(
            "expand",
            {"type": "string", "enum": list(EXPANSIONS), "default": "synonyms"},
            "MeSH expansion: none, synonyms of a recognised heading, or explode the tree.",
        ),
        _query(
            "spell",
            {"type": "string", "enum": list(SPELLINGS), "default": SPELLINGS[0]},
            "auto: when the words find (almost) nothing and a spelling correction is "
            "confident, search the correction (`corrected_from` says so); off: search the "
            "words as typed (a correction is only suggested).",
        ),
        _query(
            "all_values",
            {"type": "string", "enum": [d.name for d in FACETS]},
            f"A facet to list every value of (up to {ALL_VALUES:,}, most frequent first) "
            "instead of the usual few.",
        ),
        _query(
            "mode",
            {"type": "string", "enum": ["patient"]},
            "patient: q is a patient description (a pasted note); its medical concepts are "
            "searched (negated ones left out), trials only unless `type` says otherwise, and "
            "trials whose eligibility admits the age and sex it states rank first.",
        ),
        _query(
            "rank",
            {"type": "string", "enum": list(RANKS), "default": RANKS[0]},
            "Relevance ranking: best (BM25 fused with semantic similarity where the index has "
            "vectors, its first 200 records ordered again by the learned model) or bm25 (BM25 "
            "alone).",
        ),
    ]
    if paged:
        params += [
            _query(
                "page",
                {"type": "integer", "minimum": 1, "maximum": 999_999_999, "default": 1},
                "Result page, from 1.",
            ),  # fmt: skip
            _query(
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
        _query("condition", text, 'Searched as `condition:("text")`: the phrase and its MeSH.'),
        _query("intervention", text, 'Searched as `intervention:("text")`.'),
        _query("location", text, 'Searched as `location:("text")` (city, state or site).'),
        _query(
            "eligible_sex",
            {"type": "string", "enum": ["female", "male"]},
            "Trials this sex can join: `sex=FEMALE&sex=ALL` (or MALE).",
        ),
    ]
    for facet in ("start_year", "pub_year"):
        for end in ("from", "to"):
            out.append(_query(f"{facet}_{end}", year, f"The {facet} range's {end} year."))
    return out


def _limit(default: int, most: int, what: str) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 1, "maximum": most, "default": default}
    return _query("limit", schema, what)


def _get(summary: str, tag: str, responses: dict[str, Any], params=None, **extra) -> dict:
    op = {"summary": summary, "tags": [tag], "parameters": params or [], "responses": responses}
    return {"get": {**op, **extra}}


def paths(max_size: int, metrics: bool) -> dict[str, Any]:
    fmt = _path("fmt", "Export format.", {"type": "string", "enum": list(FORMATS)})
    export_media = {
        "description": "The export as a download (Content-Disposition: attachment).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-research-info-systems": {"schema": {"type": "string"}},
            JSON: {"schema": {"oneOf": [ref("SearchExport"), ref("RecordExport")]}},
        },
    }
    record_id = _path(
        "record_id",
        "NCT number, PMID or MeSH UI.",
        None,
        "NCT00003117",
        "32951293",
        "D008545",
    )
    redirect = {"301": {"description": "The id is a record of another type: its page."}}
    page_errors = _errors(404, 503, media=(HTML,))
    out: dict[str, Any] = {
        "/api/search": _get(
            "Search trials, articles and MeSH descriptors",
            "api",
            {
                "200": _json("A page of results with facets.", ref("SearchPage")),
                **_errors(400, 503),
            },
            search_parameters(max_size),
            operationId="search",
        ),  # fmt: skip
        "/api/records/{record_id}": _get(
            "One record with its stored fields",
            "api",
            {"200": _json("The record.", ref("Record")), **_errors(404, 503)},
            [record_id],
            operationId="record",
        ),
        "/api/records/{record_id}/related": _get(
            "A record's related trials, articles, MeSH descriptors and topics",
            "api",
            {
                "200": _json("Related items, each with its reason.", ref("Related")),
                **_errors(400, 404, 503),
            },
            [record_id, _limit(*RELATED_LIMIT, "Items per list.")],
            operationId="related",
        ),  # fmt: skip
        "/api/health": _get(
            "Index status: counts per type, data dates, build and update times",
            "api",
            {
                "200": _json("An index is being served.", ref("Health")),
                "503": _json(
                    "No index has been built yet, the engine stayed busy past the request's "
                    "deadline, or a shard server of a sharded index did not answer in time.",
                    {"oneOf": [ref("NoIndex"), ref("ShardDown"), ref("Error")]},
                ),
            },
            operationId="health",
        ),  # fmt: skip
        "/api/openapi.json": _get(
            "This description",
            "api",
            {"200": _json("OpenAPI 3.1.", {"type": "object", "required": ["openapi"]})},
            operationId="openapi",
        ),
        "/export/search.{fmt}": _get(
            "Export a search's results (the parameters of /search)",
            "exports",
            {"200": export_media, **_errors(400, 404, 503, media=(JSON, HTML))},
            [
                fmt,
                *search_parameters(max_size, paged=False),
                _limit(EXPORT_MAX, EXPORT_MAX, "Records to export, first ones first."),
            ],
            operationId="exportSearch",
        ),  # fmt: skip
        "/export/records.{fmt}": _get(
            "Export the records ticked on a results page, in their order",
            "exports",
            {
                "200": {
                    **export_media,
                    "headers": {"X-Export-Missing": MISSING_HEADER},
                    "content": {**export_media["content"], JSON: {"schema": ref("ChosenExport")}},
                },
                **_errors(400, 404, 503, media=(JSON, HTML)),
            },
            [fmt, _query("id", CHOSEN_IDS, CHOSEN_NOTE, style="form", explode=True, required=True)],
            operationId="exportChosen",
        ),  # fmt: skip
        "/export/record/{record_id}.{fmt}": _get(
            "Export a record followed by its related items",
            "exports",
            {"200": export_media, **_errors(400, 404, 503, media=(JSON, HTML))},
            [record_id, fmt, _limit(*RELATED_LIMIT, "Related items per list.")],
            operationId="exportRecord",
        ),
        "/": _get(
            "Home page", "pages", {"200": _html("Search box."), **_errors(503, media=(HTML,))}
        ),
        "/search": _get(
            "Results page",
            "pages",
            {"200": _html("Results, facets, pages."), **_errors(400, 503, media=(HTML,))},
            search_parameters(max_size),
        ),
        "/advanced": _get(
            "Advanced search form (filled in from the search parameters it is given)",
            "pages",
            {"200": _html("The form."), **_errors(400, 503, media=(HTML,))},
            search_parameters(max_size),
        ),
        "/advanced/search": _get(
            "The advanced search form's target: redirects to the /search page it stands for",
            "pages",
            {
                "302": {"description": "The /search URL of the form's query and filters."},
                **_errors(400, 503, media=(HTML,)),
            },
            [*search_parameters(max_size), *advanced_parameters()],
        ),
        "/trial/{nct}": _get(
            "Trial page",
            "pages",
            {"200": _html("The trial and its related items."), **redirect, **page_errors},
            [_path("nct", "NCT number.", None, "NCT00002845")],
        ),
        "/article/{pmid}": _get(
            "Article page",
            "pages",
            {"200": _html("The article and its related items."), **redirect, **page_errors},
            [_path("pmid", "PMID.", None, "32951293")],
        ),
        "/mesh/{ui}": _get(
            "MeSH descriptor page",
            "pages",
            {"200": _html("Scope note, tree, what is indexed with it."), **redirect, **page_errors},
            [_path("ui", "MeSH descriptor UI.", None, "D008545")],
        ),  # fmt: skip
        "/api/docs": _get(
            "This description, rendered (Swagger UI)", "pages", {"200": _html("Swagger UI.")}
        ),  # fmt: skip
    }
    metric_responses = {
        "200": {
            "description": "Prometheus text format; OpenMetrics when the Accept header asks.",
            "content": {
                METRICS_TYPE: {"schema": {"type": "string"}},
                "application/openmetrics-text": {"schema": {"type": "string"}},
            },
        },
        "404": _errors(404, media=(HTML,))["404"],
    }
    out["/metrics"] = _get(
        "Metrics for Prometheus" + ("" if metrics else " (switched off: METRICS)"),
        "operators",
        metric_responses,
    )
    for path, ops in out.items():  # an unexpected error can happen anywhere
        media = (JSON,) if path.startswith("/api/") or path.endswith(".json") else (HTML,)
        ops["get"]["responses"].setdefault("500", _errors(media=media)["500"])
    return out


def openapi(app: Flask) -> dict[str, Any]:
    """The description of `app` (its page size limit and whether /metrics is on)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Clinical trials, PubMed and MeSH search",
            "version": "1",
            "description": (
                "Search ClinicalTrials.gov studies, PubMed citations and MeSH descriptors "
                "together; records, related items and exports. Errors under /api/ and of .json "
                'exports are `{"error": "one sentence", "status": N}`.'
            ),
        },
        "tags": [
            {"name": "api", "description": "JSON API"},
            {"name": "exports", "description": "CSV, RIS and JSON downloads"},
            {"name": "pages", "description": "HTML pages (same parameters as their JSON twins)"},
            {"name": "operators", "description": "Monitoring"},
        ],
        "paths": paths(app.config["MAX_PAGE_SIZE"], app.config["METRICS"]),
        "components": {"schemas": schemas.components([d.name for d in FACETS])},
    }
