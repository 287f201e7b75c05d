"""The search blueprint: home page, results page, and their JSON twins. Views stay thin:
read the parameters, ask the engine, render HTML or JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from search import (
    EXPANSIONS,
    FACETS,
    RANKS,
    SORTS,
    TYPE_LABELS,
    Hit,
    IndexNotBuilt,
    SearchEngine,
    SearchPage,
    ShardUnavailable,
    explain,
    value_label,
)
from web.listing import heading, tips
from web.metrics import count_search
from web.params import SearchUrls, page_numbers, parse_args
from web.years import YEAR_FACETS, year_facet

bp = Blueprint("search", __name__)

SORT_LABELS = {
    "relevance": "Relevance", "newest": "Newest", "oldest": "Oldest",
    "updated": "Last updated (trials)",
}  # fmt: skip
SOURCE_LABELS = {"ctgov": "ClinicalTrials.gov", "pubmed": "PubMed / MEDLINE", "mesh": "MeSH"}
TYPE_NAMES = {"trial": "Trial", "article": "Article", "mesh": "MeSH"}
FACET_LABELS = {d.name: d.label for d in FACETS}
EXAMPLES = ("melanoma interleukin-2", '"breast cancer" tamoxifen', "IL-6 rheumatoid arthritis")


@bp.app_template_filter("label")
def label(value: Any, facet: str) -> str:
    """`{{ "PHASE2" | label("phase") }}` -> "Phase 2": the facet sidebar's label for a value."""
    return value_label(facet, str(value))


@bp.app_context_processor
def names() -> dict[str, Any]:
    return {"type_names": TYPE_NAMES}


def engine() -> SearchEngine:
    return current_app.extensions["search"]


def run_search(source: str) -> SearchPage:
    """Search with the request's parameters (InvalidRequest for bad ones); `source` (page, api)
    labels it in the metrics."""
    cfg = current_app.config
    req = parse_args(request.args, cfg["PAGE_SIZE"], cfg["MAX_PAGE_SIZE"])
    count_search(req, source)
    return engine().search(req)


def active_filters(page: SearchPage) -> list[tuple[str, str, str]]:
    """(facet, value, "Facet: value label") for each selected value, labelled as in the sidebar."""
    shown = {(f.name, v.value): v.label for f in page.facets for v in f.values}
    return [
        (name, value, f"{FACET_LABELS[name]}: {shown.get((name, value)) or label(value, name)}")
        for name, values in page.request.filters
        for value in values
    ]


def hit_json(hit: Hit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": hit.id,
        "type": hit.type,
        "title": hit.title,
        "url": hit.url,
        "snippet": hit.snippet,
        "score": hit.score,
        "partial": hit.partial,
    }
    for key, value in hit.fields.items():
        out.setdefault(key, value)
    return out


def page_json(page: SearchPage) -> dict[str, Any]:
    """The /api/search response (contract in DESIGN.md)."""
    return {
        "total": page.total,
        "page": page.request.page,
        "size": page.request.size,
        "hits": [hit_json(h) for h in page.hits],
        "facets": {
            f.name: [
                {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                for v in f.values
            ]
            for f in page.facets
        },
        "suggestion": page.suggestion,
        "query": {"parsed": page.parsed, "expanded": [asdict(e) for e in page.expansions]},
        "partial": page.partial,
        "more": page.more,
        "query_used": page.corrected or page.request.q,
        "corrected_from": page.request.q if page.corrected else None,
        "strong": page.strong,
        "reading": asdict(page.reading) if page.reading is not None else None,
        "ranking": page.ranking,
    }


@bp.get("/")
def home():
    info = engine().status()
    return render_template(
        "home.html",
        info=info,
        type_labels=TYPE_LABELS,
        source_labels=SOURCE_LABELS,
        examples=EXAMPLES,
    )


@bp.get("/search")
def search():
    page = run_search("page")
    urls = SearchUrls(url_for("search.search"), page.request, current_app.config["PAGE_SIZE"])
    chips = active_filters(page)
    return render_template(
        "search.html",
        page=page,
        req=page.request,
        urls=urls,
        page_numbers=page_numbers(page.request.page, page.pages),
        chips=chips,
        sorts=[(s, SORT_LABELS[s]) for s in SORTS],
        expansions=EXPANSIONS,
        heading=heading(page),
        explanation=explain(page),
        no_result_tips=tips(page, urls, chips) if not page.total else [],
        years={
            f.name: year_facet(f, page.request, urls) for f in page.facets if f.name in YEAR_FACETS
        },
        ranks=RANKS,
    )


@bp.get("/api/search")
def api_search():
    return jsonify(page_json(run_search("api")))


@bp.get("/api/records/<record_id>")
def api_record(record_id: str):
    return jsonify(engine().get(record_id))


@bp.get("/api/health")
def api_health():
    try:
        info = engine().status()
    except IndexNotBuilt as e:
        return jsonify({"status": "no index", "error": str(e)}), 503
    except ShardUnavailable as e:  # every shard's answer, the ones down among them
        body = {"status": "shard down", "error": str(e), "shards": list(e.shards)}
        if e.counters:  # and every count server's, when one of them failed
            body["counters"] = list(e.counters)
        return jsonify(body), 503
    body = {
        "status": "ok",
        "ranking": info.get("ranking", "bm25"),
        "counts": info["counts"],
        "snapshots": info.get("snapshots", {}),
        "built_at": info.get("built_at"),
        "updated_at": info.get("updated_at"),
    }
    if "shard_status" in info:  # a sharded index: how each shard answers
        body["shards"] = info["shard_status"]
    if "counter_status" in info:  # and its count servers
        body["counters"] = info["counter_status"]
    return jsonify(body)
