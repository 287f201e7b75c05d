"""The OpenAPI 3.1 description of every route, served at /api/openapi.json.

Parameters come from the same tables the code checks them with: the facet table (`FACETS`,
closed vocabularies from `closed_values`), the sorts and expansion modes of `search`, the page
size setting and the limits of the related lists and exports. Response schemas are in
web/schemas.py; the tests validate every JSON response they receive against this description.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from search import FACETS
from web import schemas
from web.export import CHOSEN_MAX, EXPORT_MAX, FORMATS
from web.openapi_params import (
    advanced_parameters,
    limit_param,
    param,
    path_param,
    search_parameters,
)
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


def _get(summary: str, tag: str, responses: dict[str, Any], params=None, **extra) -> dict:
    op = {"summary": summary, "tags": [tag], "parameters": params or [], "responses": responses}
    return {"get": {**op, **extra}}


def paths(max_size: int, metrics: bool) -> dict[str, Any]:
    fmt = path_param("fmt", "Export format.", {"type": "string", "enum": list(FORMATS)})
    export_media = {
        "description": "The export as a download (Content-Disposition: attachment).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-research-info-systems": {"schema": {"type": "string"}},
            JSON: {"schema": {"oneOf": [ref("SearchExport"), ref("RecordExport")]}},
        },
    }
    record_id = path_param(
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
            [record_id, limit_param(*RELATED_LIMIT, "Items per list.")],
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
                limit_param(EXPORT_MAX, EXPORT_MAX, "Records to export, first ones first."),
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
            [fmt, param("id", CHOSEN_IDS, CHOSEN_NOTE, style="form", explode=True, required=True)],
            operationId="exportChosen",
        ),  # fmt: skip
        "/export/record/{record_id}.{fmt}": _get(
            "Export a record followed by its related items",
            "exports",
            {"200": export_media, **_errors(400, 404, 503, media=(JSON, HTML))},
            [record_id, fmt, limit_param(*RELATED_LIMIT, "Related items per list.")],
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
            [path_param("nct", "NCT number.", None, "NCT00002845")],
        ),
        "/article/{pmid}": _get(
            "Article page",
            "pages",
            {"200": _html("The article and its related items."), **redirect, **page_errors},
            [path_param("pmid", "PMID.", None, "32951293")],
        ),
        "/mesh/{ui}": _get(
            "MeSH descriptor page",
            "pages",
            {"200": _html("Scope note, tree, what is indexed with it."), **redirect, **page_errors},
            [path_param("ui", "MeSH descriptor UI.", None, "D008545")],
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
