"""What a hit shows besides its title and snippet (the same as the Whoosh backend's lists).

The result-list fields are engine-neutral; they are written here too until the face has a home
for them (search/whoosh/engine.py summary_fields is the same function).
"""

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
