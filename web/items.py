"""The items blueprint: record pages (/trial/<nct>, /article/<pmid>, /mesh/<ui>), their related
items as JSON (/api/records/<id>/related), and exports (CSV, RIS, JSON) of a search's results
or of a record with its related items. Views stay thin: ask the engine, render.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from search import (
    MESH_CATEGORIES,
    DocumentNotFound,
    InvalidRequest,
    Item,
    Related,
    SearchEngine,
    Section,
)
from web.export import (
    EXPORT_MAX,
    FORMATS,
    attachment,
    chosen_entries,
    chosen_ids,
    citation_source,
    record_entries,
    render,
    search_entries,
)
from web.metrics import count_search
from web.params import page_url, parse_args

bp = Blueprint("items", __name__)

RELATED_LIMIT = 10  # related items per list on a page and by default in the API
MAX_RELATED_LIMIT = 50


bp.add_app_template_global(page_url)


@bp.app_template_filter("mesh_category")
def mesh_category(letter: str) -> str:
    """'C' -> 'Diseases': the MeSH tree a tree number belongs to."""
    return MESH_CATEGORIES.get(letter, "MeSH")


bp.add_app_template_filter(citation_source, "citation_source")


_NCT = re.compile(r"\bNCT\d{8}\b")


@bp.app_template_filter("link_ncts")
def link_ncts(text: str, local: dict[str, str]) -> Markup:
    """`text` with each NCT id a link: to its page here when the trial is indexed (`local`:
    NCT id -> URL), else to its page on ClinicalTrials.gov."""
    out, pos = [], 0
    for m in _NCT.finditer(text):
        nct = m.group(0)
        out.append(escape(text[pos : m.start()]))
        if nct in local:
            out.append(Markup('<a href="{}" data-id="{}">{}</a>').format(local[nct], nct, nct))
        else:
            link = Markup('<a href="https://clinicaltrials.gov/study/{}" rel="external">{}</a>')
            out.append(link.format(nct, nct))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def engine() -> SearchEngine:
    return current_app.extensions["search"]


def _record(record_id: str, kind: str) -> dict[str, Any] | Response:
    """The record, or a redirect when the id belongs to a record of another type."""
    record = engine().get(record_id)
    if record["type"] != kind:
        return redirect(f"/{record['type']}/{record_id}", code=301)
    return record


def _limit(args: MultiDict, default: int = RELATED_LIMIT, most: int = MAX_RELATED_LIMIT) -> int:
    raw = args.get("limit", "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw[:9]) <= most:
        raise InvalidRequest(f"limit must be a whole number from 1 to {most}, not {raw[:40]!r}.")
    return int(raw)


# -- pages ---------------------------------------------------------------------------------------
@bp.get("/trial/<nct>")
def trial(nct: str):
    return _record_page("trial.html", nct, "trial")


@bp.get("/article/<pmid>")
def article(pmid: str):
    return _record_page("article.html", pmid, "article")


def _record_page(template: str, record_id: str, kind: str):  # noqa: ANN202 - a response
    """A trial's or an article's page: the record, its related items, and the links the
    template makes from them (MeSH names -> pages, explicitly linked articles -> pages)."""
    record = _record(record_id, kind)
    if isinstance(record, Response):
        return record
    related = engine().related(record_id, limit=RELATED_LIMIT)
    mesh_urls = {i.title.lower(): page_url(i.type, i.id) for i in related.mesh.items}
    articles = related.articles.items[: related.articles.explicit]
    indexed = {i.id: page_url(i.type, i.id) for i in articles}
    trials = related.trials.items[: related.trials.explicit]
    trial_urls = {i.id: page_url(i.type, i.id) for i in trials}
    return render_template(
        template,
        r=record,
        related=related,
        mesh_urls=mesh_urls,
        indexed=indexed,
        trial_urls=trial_urls,
    )


@bp.get("/mesh/<ui>")
def mesh(ui: str):
    record = _record(ui, "mesh")
    if isinstance(record, Response):
        return record
    info = engine().mesh_overview(ui)
    if info is None:
        raise DocumentNotFound(f"No MeSH descriptor has the id {ui!r}.")
    related = engine().related(ui, limit=RELATED_LIMIT)
    return render_template("mesh.html", r=record, info=info, related=related)


# -- JSON ----------------------------------------------------------------------------------------
def item_json(item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "type": item.type,
        "title": item.title,
        "url": page_url(item.type, item.id),
        "reason": item.reason,
        "explicit": item.score is None,
        "score": item.score,
    }
    if item.note:
        out["scope_note"] = item.note
    return out


def related_json(related: Related) -> dict[str, Any]:
    """The /api/records/<id>/related response (contract keys first, then additions)."""
    sections: dict[str, Section] = {
        "trials": related.trials,
        "articles": related.articles,
        "mesh": related.mesh,
    }
    out: dict[str, Any] = {k: [item_json(i) for i in s.items] for k, s in sections.items()}
    out["totals"] = {k: s.total for k, s in sections.items()}
    out["explicit"] = {k: s.explicit for k, s in sections.items()}
    # close matches (search/related.py), and the search listing the weaker ones too
    out["strong"] = {k: s.total if s.strong is None else s.strong for k, s in sections.items()}
    out["more"] = {
        k: url_for("search.search", q=s.more_query, type=k.removesuffix("s"))
        if s.more_query
        else None
        for k, s in sections.items()
        if k != "mesh"
    }
    out["topics"] = [
        {"value": t.code, "label": t.label, "category": t.category, "count": t.count,
         "url": f"/search?topic={t.code}"}
        for t in related.topics
    ]  # fmt: skip
    out["undefined_mesh"] = [{"term": t, "reason": why} for t, why in related.undefined]
    out["id"], out["type"] = related.id, related.type
    return out


@bp.get("/api/records/<record_id>/related")
def api_related(record_id: str):
    limit = _limit(request.args)
    return jsonify(related_json(engine().related(record_id, limit=limit)))


# -- exports -------------------------------------------------------------------------------------
def _download(body: str | None, fmt: str, name: str) -> Response:
    """The download's response; `body` None: the answer to HEAD, the headers without building
    the body (whose length is then unknown, so none is given)."""
    response = Response(body, mimetype=FORMATS[fmt].split(";")[0])
    response.headers["Content-Type"] = FORMATS[fmt]
    response.headers["Content-Disposition"] = attachment(f"{name}.{fmt}")
    if body is None:
        response.automatically_set_content_length = False
    return response


@bp.app_template_global()
def search_export_url(fmt: str) -> str:
    """The export of the current search in `fmt` (for the results page: the same query,
    filters, sort and expansion; no paging)."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "size")]
    query = urlencode(pairs)
    return f"/export/search.{fmt}" + (f"?{query}" if query else "")


def site_root() -> str:
    """The site's address for absolute links in exports: the BASE_URL setting, else the
    address the request came to (`request.url_root`, "http://host:port/")."""
    return current_app.config.get("BASE_URL") or request.url_root


@bp.get("/export/search.<any(csv, ris, json):fmt>")
def export_search(fmt: str):
    """The search's results (same parameters as /search) up to `limit` (EXPORT_MAX)."""
    args = MultiDict(request.args)
    limit = _limit(args, EXPORT_MAX, EXPORT_MAX)
    args.poplist("limit")
    for name in ("page", "size"):
        args.poplist(name)
    req = parse_args(args, 10, 100)
    if request.method == "HEAD":
        engine().check(req)
        return _download(None, fmt, "search")
    count_search(req, "export")
    total, entries = search_entries(engine(), req, limit)
    meta = {
        "query": {k: args.getlist(k) if len(args.getlist(k)) > 1 else args[k] for k in args},
        "total": total,
        "exported": len(entries),
        "max": EXPORT_MAX,
    }
    return _download(render(fmt, entries, site_root(), **meta), fmt, "search")


@bp.get("/export/records.<any(csv, ris, json):fmt>")
def export_records(fmt: str):
    """The records ticked on a results page (`id`, repeated), in that order. Ids no record has
    (deleted since) are skipped and named in the X-Export-Missing header (and `missing` in
    JSON); if none is left, 404."""
    unknown = sorted(set(request.args) - {"id"})
    if unknown:
        raise InvalidRequest(f"Unknown parameter {unknown[0][:40]!r}: name the records with id.")
    ids = chosen_ids(request.args.getlist("id"))
    entries, missing = chosen_entries(engine(), ids)
    if not entries:
        raise DocumentNotFound(
            f"None of the {len(ids)} chosen records is in the index any more "
            f"({', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''})."
        )
    meta = {"ids": ids, "exported": len(entries), "missing": missing}
    response = _download(render(fmt, entries, site_root(), **meta), fmt, "chosen")
    if missing:
        response.headers["X-Export-Missing"] = " ".join(missing)
    return response


@bp.get("/export/record/<record_id>.<any(csv, ris, json):fmt>")
def export_record(record_id: str, fmt: str):
    """A record followed by its related trials, articles and MeSH descriptors."""
    limit = _limit(request.args)
    record = engine().get(record_id)
    if request.method == "HEAD":
        return _download(None, fmt, record_id)
    related = engine().related(record_id, limit=limit)
    entries = record_entries(engine(), record, related)
    meta = {"id": record_id, "totals": related_json(related)["totals"]}
    return _download(render(fmt, entries, site_root(), **meta), fmt, record_id)
