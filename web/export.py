"""Exports as CSV, RIS (reference managers) and JSON: a search's result set (up to
EXPORT_MAX records), the records a user ticked on a results page (up to CHOSEN_MAX), or one
record with its related items.

Every format carries the same records: the exported record or hit, each with its `relation`
("record", "hit", or the related list it came from: "trial", "article", "mesh") and, for
related items, the reason it is related.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from search import DocumentNotFound, InvalidRequest, Item, Related, SearchEngine, SearchRequest
from web.params import page_url

EXPORT_MAX = 1000  # records in one search export
CHOSEN_MAX = 100  # records ticked for one export (a results page lists at most 100)
MAX_ID_CHARS = 20  # longer than any NCT number, PMID or MeSH UI
_PAGE = 100  # the engine's largest page
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "json": "application/json",
}
COLUMNS = (
    "relation", "reason", "id", "type", "title", "url", "date", "status", "phases",
    "study_type", "conditions", "interventions", "sponsor", "authors", "journal", "doi",
    "mesh", "publication_types", "volume", "issue", "pages",
)  # fmt: skip
SOURCES = {
    "trial": "https://clinicaltrials.gov/study/",
    "article": "https://pubmed.ncbi.nlm.nih.gov/",
}
# A spreadsheet reads a cell starting with one of these as a formula (=HYPERLINK(...), @SUM(...)):
# such cells get a leading ' (OWASP, "CSV Injection"), which spreadsheets show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
RIS_TYPE = {"trial": "DBASE", "article": "JOUR", "mesh": "DICT"}
RIS_DATABASE = {"trial": "ClinicalTrials.gov", "article": "PubMed", "mesh": "MeSH"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One exported record."""

    record: dict[str, Any]
    relation: str  # record | hit | trial | article | mesh
    reason: str = ""
    url: str = ""  # this site's page of the record


def search_entries(
    engine: SearchEngine, req: SearchRequest, limit: int, page_size: int = _PAGE
) -> tuple[int, list[Entry]]:
    """(total, the first `limit` hits in the request's order) of a search, as entries; the
    hits are fetched `page_size` at a time."""
    limit = max(1, min(limit, EXPORT_MAX))
    entries: list[Entry] = []
    total = 0
    page = 1
    while len(entries) < limit:
        size = min(page_size, limit)
        result = engine.search(replace(req, page=page, size=size))
        total = result.total
        for hit in result.hits[: limit - len(entries)]:
            entries.append(Entry(engine.get(hit.id), "hit", url=hit.url))
        if page * size >= total or not result.hits:
            break
        page += 1
    return total, entries


def chosen_ids(ids: list[str]) -> list[str]:
    """The ids a user ticked, in their order, each once; InvalidRequest (400) for none, for
    more than CHOSEN_MAX, or for one that cannot be an id."""
    chosen = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not chosen:
        raise InvalidRequest("Tick one or more records to export (the boxes next to the results).")
    if len(chosen) > CHOSEN_MAX:
        raise InvalidRequest(
            f"Export at most {CHOSEN_MAX} chosen records at once; this asks for {len(chosen):,}. "
            "Export the whole search instead (up to 1,000 records)."
        )
    for record_id in chosen:
        if len(record_id) > MAX_ID_CHARS or not record_id.isascii() or not record_id.isalnum():
            raise InvalidRequest(
                f"{record_id[:40]!r} is not a record id (an NCT number, a PMID or a MeSH UI)."
            )
    return chosen


def chosen_entries(engine: SearchEngine, ids: list[str]) -> tuple[list[Entry], list[str]]:
    """(the records of `ids` in their order, the ids no record of the index has): records
    deleted since the page was shown are skipped, and named, rather than failing the rest."""
    entries: list[Entry] = []
    missing: list[str] = []
    for record_id in ids:
        try:
            record = engine.get(record_id)
        except DocumentNotFound:
            missing.append(record_id)
            continue
        entries.append(Entry(record, "hit", url=page_url(record["type"], record_id)))
    return entries, missing


def record_entries(engine: SearchEngine, record: dict[str, Any], related: Related) -> list[Entry]:
    """A record, then its related trials, articles and MeSH descriptors."""
    entries = [Entry(record, "record", url=page_url(record["type"], record_id(record)))]
    for kind, section in (("trial", related.trials), ("article", related.articles),
                          ("mesh", related.mesh)):  # fmt: skip
        entries += [_item_entry(engine, kind, item) for item in section.items]
    return entries


def _item_entry(engine: SearchEngine, kind: str, item: Item) -> Entry:
    return Entry(engine.get(item.id), kind, item.reason, page_url(item.type, item.id))


def record_id(record: dict[str, Any]) -> str:
    return record.get("nct_id") or record.get("pmid") or record["ui"]


# -- flat rows (CSV) ---------------------------------------------------------------------------
def _authors(record: dict[str, Any]) -> list[str]:
    return [
        a["collective_name"] or ", ".join(p for p in (a["last_name"], a["fore_name"]) if p)
        for a in record.get("authors", ())
    ]


def row(entry: Entry) -> dict[str, str]:
    """A record as the CSV columns (multi-valued fields joined with "; ")."""
    r = entry.record
    kind = r["type"]
    out = dict.fromkeys(COLUMNS, "")
    out.update(relation=entry.relation, reason=entry.reason, id=record_id(r), type=kind,
               url=entry.url)  # fmt: skip
    if kind == "trial":
        out.update(
            title=r["brief_title"],
            date=r["start_date"],
            status=r["overall_status"],
            phases="; ".join(r["phases"]),
            study_type=r["study_type"],
            conditions="; ".join(r["conditions"]),
            interventions="; ".join(i["name"] for i in r["interventions"]),
            sponsor=r["lead_sponsor"],
            mesh="; ".join(m["term"] for m in r["condition_mesh"] + r["intervention_mesh"]),
        )
    elif kind == "article":
        out.update(
            title=r["title"],
            date=r["medline_date"] or r["pub_date"],
            authors="; ".join(_authors(r)),
            journal=r["journal_title"],
            doi=r["doi"],
            mesh="; ".join(h["name"] for h in r["mesh_headings"]),
            publication_types="; ".join(r["publication_types"]),
            volume=r.get("volume", ""),
            issue=r.get("issue", ""),
            pages=r.get("pages", ""),
        )
    else:
        out.update(title=r["heading"], mesh="; ".join(r["tree_numbers"]))
    return out


def cell(value: str) -> str:
    """A CSV cell no spreadsheet runs as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def absolute(base: str, url: str) -> str:
    """This site's page `url` ("/trial/NCT...") under `base` ("https://example.org/"): an
    export leaves the site, so its links must carry the host. No base: `url` as it is."""
    return base.rstrip("/") + url if base and url.startswith("/") else url


def to_csv(entries: Iterable[Entry], base: str = "") -> str:
    """CSV, one row per entry; `url` is the record's page under `base` (absolute)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for e in entries:
        writer.writerow({k: cell(v) for k, v in row(replace(e, url=absolute(base, e.url))).items()})
    return buf.getvalue()


# -- RIS ---------------------------------------------------------------------------------------
def _ris_lines(entry: Entry, base: str = "") -> Iterator[tuple[str, str]]:
    r = entry.record
    kind = r["type"]
    rid = record_id(r)
    yield "TY", RIS_TYPE[kind]
    if kind == "trial":
        yield "TI", r["brief_title"]
        if r["official_title"]:
            yield "T2", r["official_title"]
        yield "AU", r["lead_sponsor"]
        yield "PY", r["start_date"][:4]
        yield "DA", r["start_date"].replace("-", "/")
        yield "AB", r["brief_summary"]
        for k in [*r["conditions"], *(i["name"] for i in r["interventions"]), *r["keywords"]]:
            yield "KW", k
        yield "UR", SOURCES[kind] + rid
    elif kind == "article":
        yield "TI", r["title"]
        for a in _authors(r):
            yield "AU", a
        yield "JO", r["journal_title"]
        yield "JA", r["journal_iso"]
        yield "PY", str(r["pub_year"] or "")
        yield "DA", r["pub_date"].replace("-", "/")
        yield "AB", " ".join(s["text"] for s in r["abstract"])
        yield "VL", r.get("volume", "")
        yield "IS", r.get("issue", "")
        start, end = page_range(r.get("pages", ""))
        yield "SP", start
        yield "EP", end
        yield "DO", r["doi"]
        for k in [*(h["name"] for h in r["mesh_headings"]), *r["keywords"]]:
            yield "KW", k
        yield "UR", SOURCES[kind] + rid + "/"
    else:
        yield "TI", r["heading"]
        yield "AB", r["scope_note"]
        for k in r["entry_terms"]:
            yield "KW", k
        yield "UR", f"https://meshb.nlm.nih.gov/record/ui?ui={rid}"
    if base and entry.url:
        yield "UR", absolute(base, entry.url)  # this site's page, after the source's
    yield "AN", rid
    yield "DB", RIS_DATABASE[kind]
    if entry.relation not in ("record", "hit"):
        yield "N1", f"Related {entry.relation}: {entry.reason}"
    yield "ER", ""


def page_range(pages: str) -> tuple[str, str]:
    """MEDLINE pagination -> (start page, end page): "5305-5315" -> ("5305", "5315"); NLM's
    shortened end pages are written out ("123-9" -> ("123", "129")); "e1234" -> ("e1234", "").
    Of several ranges ("12-5, 30") the first one."""
    first = pages.split(",")[0].split(";")[0].strip()
    start, _, end = (p.strip() for p in first.partition("-"))
    if start.isdigit() and end.isdigit() and len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return start, end


def citation_source(record: dict[str, Any]) -> str:
    """Volume, issue and pages as PubMed cites them: "25(11):5305-5315" ("" if none)."""
    volume, issue, pages = (record.get(k, "") for k in ("volume", "issue", "pages"))
    text = volume + (f"({issue})" if issue else "")
    return f"{text}:{pages}" if pages and text else text or pages


def to_ris(entries: Iterable[Entry], base: str = "") -> str:
    """RIS: `TY  - ` opens each record and `ER  - ` closes it; one tag per line, CRLF, UTF-8.
    Each record's `UR`s: its source's page, then its page on this site under `base`."""
    lines = []
    for e in entries:
        for tag, value in _ris_lines(e, base):
            value = " ".join(str(value).split())  # one line, no stray whitespace
            if value or tag == "ER":
                lines.append(f"{tag}  - {value}".rstrip() + (" " if tag == "ER" else ""))
        lines.append("")
    return "\r\n".join(lines)


# -- JSON --------------------------------------------------------------------------------------
def to_json(entries: list[Entry], **meta: Any) -> str:
    records = [
        {"relation": e.relation, "reason": e.reason, "url": e.url, "record": e.record}
        for e in entries
    ]
    return json.dumps({**meta, "records": records}, ensure_ascii=False, indent=1)


def attachment(name: str) -> str:
    """The Content-Disposition of a download named `name`: letters, digits, '.', '_' and '-'
    only (any other run of characters becomes one '_'), so nothing in a record id can close
    the quotes or add a parameter."""
    safe = _UNSAFE_NAME.sub("_", name).strip("._")[:120] or "export"
    return f'attachment; filename="{safe}"'


def render(fmt: str, entries: list[Entry], base: str = "", **meta: Any) -> str:
    """The export in `fmt`; CSV and RIS give this site's pages as absolute URLs under `base`
    (the JSON keeps the site-relative `url` of its contract)."""
    if fmt == "csv":
        return to_csv(entries, base)
    if fmt == "ris":
        return to_ris(entries, base)
    return to_json(entries, **meta)
