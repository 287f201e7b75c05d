"""The advanced search form (/advanced) and the view its GET form submits to (/advanced/search),
which writes the query language and facet parameters of an ordinary search and redirects to
that /search URL: the results stay bookmarkable and the query shows in the search box.

What a box writes: condition, intervention and location become `condition:("text")` and so on
(the phrase, its MeSH descriptor and synonyms), or `condition:(text)` as typed when the text
has operators, quotes, parentheses, a * or a field; "other terms" is the query as typed when it
is the only box, else its words all required. Filled boxes are AND'ed. Checkboxes and the
country list are facet parameters; years are ranges of the year facets (`start_year=2010..2019`).
The results page's year range form submits here too (`start_year_from`, `start_year_to`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from search import FACETS, TYPE_LABELS, InvalidRequest, SearchRequest, closed_values
from web.params import SearchUrls, parse_args, selecting
from web.views import engine
from web.years import OPEN_HIGH, OPEN_LOW, span

bp = Blueprint("advanced", __name__)

# Form boxes -> the query field they search ("" for other terms, the `q` of a search).
BOXES = (("condition", "condition", "Condition or disease"),
         ("intervention", "intervention", "Intervention or treatment"),
         ("location", "location", "City, state or site"))  # fmt: skip
BOX_MAXLENGTH = 500
YEAR_FIELDS = {"start_year": "Start year", "pub_year": "Publication year"}
SEXES = {"female": ("FEMALE", "ALL"), "male": ("MALE", "ALL")}  # who can join: theirs or all
FORM_ONLY = (
    *(name for name, _, _ in BOXES),
    *(f"{y}_{end}" for y in YEAR_FIELDS for end in ("from", "to")),
    "eligible_sex",
)
# Recruitment statuses as ClinicalTrials.gov spells them (the `status` facet's values).
STATUSES = ("NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION",
            "ACTIVE_NOT_RECRUITING", "SUSPENDED", "TERMINATED", "COMPLETED", "WITHDRAWN",
            "UNKNOWN", "AVAILABLE", "NO_LONGER_AVAILABLE", "TEMPORARILY_NOT_AVAILABLE",
            "APPROVED_FOR_MARKETING")  # fmt: skip
TYPES_OF = {d.name: set(d.types) for d in FACETS}
LABELS = {d.name: d.label for d in FACETS}
KIND_NAMES = {"trial": "trials", "article": "articles", "mesh": "MeSH descriptors"}
_LOGIC = re.compile(r'["()*]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b|[A-Za-z_]:\S')
_YEAR = re.compile(r"^[12]\d{3}$")


def box_clause(field: str, text: str, label: str) -> str:
    """One box's query: `field:("text")`, or `field:(text)` when the text has logic of its own."""
    if text.count("(") != text.count(")"):
        raise InvalidRequest(f"{label}: a parenthesis is not closed ({text[:60]}).")
    body = f"({text})" if _LOGIC.search(text) else f'("{text}")'
    return f"{field}:{body}"


def terms_clause(text: str) -> str:
    """Other terms next to other boxes: every word required (or as typed, in parentheses)."""
    if text.count("(") != text.count(")"):
        raise InvalidRequest(f"Other terms: a parenthesis is not closed ({text[:60]}).")
    if _LOGIC.search(text):
        return f"({text})"
    words = text.split()
    return words[0] if len(words) == 1 else "(" + " AND ".join(words) + ")"


def write_query(args: MultiDict) -> str:
    """The query text the boxes of the form stand for ("" when they are all empty)."""
    boxes = [(f, " ".join(args.get(name, "").split()), label) for name, f, label in BOXES]
    terms = " ".join(args.get("q", "").split())
    for text, label in [(t, lb) for _, t, lb in boxes] + [(terms, "Other terms")]:
        if len(text) > BOX_MAXLENGTH:
            raise InvalidRequest(f"{label} is {len(text):,} characters; at most {BOX_MAXLENGTH}.")
    parts = [box_clause(f, text, label) for f, text, label in boxes if text]
    if not parts:
        return terms
    if terms:
        parts.insert(min(2, len(parts)), terms_clause(terms))
    return " AND ".join(parts)


def year_value(args: MultiDict, facet: str) -> str | None:
    """The range a year facet's from/to boxes ask for ("" for none); None when the form has no
    such boxes (the facet's selection then stays as it is)."""
    names = (f"{facet}_from", f"{facet}_to")
    if not any(n in args for n in names):
        return None
    low, high = (args.get(n, "").strip() for n in names)
    label = YEAR_FIELDS[facet]
    for end, value in (("from", low), ("to", high)):
        if value and not _YEAR.match(value):
            raise InvalidRequest(f"{label} {end} must be a year such as 2015, not {value[:20]!r}.")
    if low and high and int(low) > int(high):
        raise InvalidRequest(f"{label}: the range {low} to {high} ends before it starts.")
    if not (low or high):
        return ""
    return low if low == high else f"{low}..{high}"


def form_request(args: MultiDict) -> SearchRequest:
    """The search the form asks for (InvalidRequest with a sentence when it cannot be one)."""
    cfg = current_app.config
    rest = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in FORM_ONLY])
    query = write_query(args)
    rest.setlist("q", [query] if query else [])
    req = parse_args(rest, cfg["PAGE_SIZE"], cfg["MAX_PAGE_SIZE"])
    sex = args.get("eligible_sex", "").strip()
    if sex:
        if sex not in SEXES:
            raise InvalidRequest(f"eligible_sex must be female or male, not {sex[:20]!r}.")
        req = selecting(req, "sex", SEXES[sex])
    for facet in YEAR_FIELDS:
        value = year_value(args, facet)
        if value is not None:
            req = selecting(req, facet, (value,) if value else ())
    check_types(req)
    return replace(req, page=1)


def check_types(req: SearchRequest) -> None:
    """InvalidRequest when two filters ask for what no record has together (a recruitment
    status and a publication year: trials have one, articles the other)."""
    names = [name for name, values in req.filters if values]
    for i, b in enumerate(names):
        for a in names[:i]:
            if not _kinds(req, a) & _kinds(req, b):
                raise InvalidRequest(
                    f"No record has both {_what(req, a)} and {_what(req, b)}: clear one of them."
                )


def _kinds(req: SearchRequest, facet: str) -> set[str]:
    return set(req.selected(facet)) if facet == "type" else TYPES_OF[facet]


def _what(req: SearchRequest, facet: str) -> str:
    """How a filter reads in a sentence: "a publication year (only articles have one)"."""
    if facet == "type":
        return "the record type " + " or ".join(TYPE_LABELS[v] for v in req.selected("type"))
    kinds = " and ".join(KIND_NAMES[t] for t in sorted(TYPES_OF[facet]))
    return f"a {LABELS[facet].lower()} (only {kinds} have one)"


@bp.get("/advanced/search")
def submit():
    req = form_request(request.args)
    engine().check(req)  # a query the engine would refuse is a 400 here, with its sentence
    return redirect(
        SearchUrls(url_for("search.search"), req, current_app.config["PAGE_SIZE"]).url(req)
    )


@bp.get("/advanced")
def form():
    """The form, filled in from the search parameters it is given (a results page links here
    with its own)."""
    cfg = current_app.config
    req = parse_args(request.args, cfg["PAGE_SIZE"], cfg["MAX_PAGE_SIZE"])
    engine().check(req)  # (a year facet's values are years or ranges from here on)
    years = {}
    for facet in YEAR_FIELDS:
        spans = [s for s in map(span, req.selected(facet)) if s is not None]
        low, high = (
            min((a for a, _ in spans), default=OPEN_LOW),
            max((b for _, b in spans), default=OPEN_HIGH),
        )
        years[facet] = (str(low) if low != OPEN_LOW else "", str(high) if high != OPEN_HIGH else "")
    sex = next((k for k, v in SEXES.items() if set(req.selected("sex")) == set(v)), "")
    return render_template(
        "advanced.html",
        form_req=req,
        types=closed_values("type"),
        statuses=STATUSES,
        phases=closed_values("phase"),
        ages=closed_values("age"),
        countries=countries(),
        years=years,
        sex=sex,
        year_fields=YEAR_FIELDS,
    )


def countries() -> list[str]:
    """The countries of the index's trial sites, A to Z (one search per build, then cached)."""
    info = engine().status()
    key = (info.get("built_at"), info.get("updated_at"), engine().backend_name())
    cached = current_app.extensions.get("advanced.countries")
    if cached is None or cached[0] != key:
        page = engine().search(
            SearchRequest(filters=(("type", ("trial",)),), size=1, all_values="country")
        )
        facet = next((f for f in page.facets if f.name == "country"), None)
        cached = (key, sorted(v.value for v in facet.values) if facet else [])
        current_app.extensions["advanced.countries"] = cached
    return cached[1]
