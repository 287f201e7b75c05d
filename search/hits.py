"""What a hit shows besides its title and snippet, read from the stored record: the same for
every backend (result-list fields, the name a record gives a MeSH UI)."""

from __future__ import annotations

from typing import Any

from search import fields as f

URL_PREFIX = {f.TRIAL: "/trial/", f.ARTICLE: "/article/", f.MESH_TYPE: "/mesh/"}


def summary_fields(record: dict[str, Any], date: str) -> dict[str, Any]:
    """The type-specific fields shown in a result list."""
    kind = record["type"]
    if kind == f.TRIAL:
        return {
            "status": record["overall_status"],
            "phases": record["phases"],
            "study_type": record["study_type"],
            "conditions": record["conditions"][:6],
            "start_date": record["start_date"],
            "last_update": record["last_update_date"],
            "enrollment": record["enrollment"],
            "sponsor": record["lead_sponsor"],
            "has_results": record["has_results"],
        }
    if kind == f.ARTICLE:
        authors = [
            a["collective_name"] or f"{a['last_name']} {a['initials']}".strip()
            for a in record["authors"]
        ]
        return {
            "journal": record["journal_iso"] or record["journal_title"],
            "date": date,
            "year": record["pub_year"],
            "authors": authors[:3] + (["et al."] if len(authors) > 3 else []),
            "publication_types": record["publication_types"],
        }
    return {"tree_numbers": record["tree_numbers"], "entry_terms": len(record["entry_terms"])}


# Where a stored record names its MeSH terms: (list key, UI key, name key).
_TERM_LISTS = (
    ("condition_mesh", "ui", "term"),
    ("intervention_mesh", "ui", "term"),
    ("condition_mesh_ancestors", "ui", "term"),
    ("intervention_mesh_ancestors", "ui", "term"),
    ("mesh_headings", "ui", "name"),
)


def _same_ui(a: str, b: str) -> bool:
    """D007172 and the padded D000007172 (CT.gov JSON of 2023-24) are one UI."""
    if a == b:
        return True
    return a[:1] == b[:1] and a[1:].isdigit() and b[1:].isdigit() and int(a[1:]) == int(b[1:])


def name_in_record(record: dict[str, Any], ui: str) -> str:
    """The name a record gives the MeSH UI `ui`, "" if it names none."""
    for key, ui_key, name_key in _TERM_LISTS:
        for entry in record.get(key, ()):
            if entry.get(ui_key) and _same_ui(entry[ui_key], ui) and entry.get(name_key):
                return entry[name_key]
    return ""
