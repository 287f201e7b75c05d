"""Names of MeSH UIs that have no MeSH record in the index, taken from the records that carry
them: ClinicalTrials.gov's API v2 gives each browse term its UI and name (supplementary
concepts such as C000596361 "osimertinib", or descriptors newer than the indexed MeSH
edition), PubMed gives each MeSH heading its UI and name."""

from __future__ import annotations

from typing import Any

from search import fields as f
from search.whoosh.docsets import iter_bits

# Where a stored record names its MeSH terms: (list key, UI key, name key).
_TERM_LISTS = (
    ("condition_mesh", "ui", "term"),
    ("intervention_mesh", "ui", "term"),
    ("condition_mesh_ancestors", "ui", "term"),
    ("intervention_mesh_ancestors", "ui", "term"),
    ("mesh_headings", "ui", "name"),
)


def same_ui(a: str, b: str) -> bool:
    """D007172 and the padded D000007172 (CT.gov JSON of 2023-24) are one UI."""
    if a == b:
        return True
    return a[:1] == b[:1] and a[1:].isdigit() and b[1:].isdigit() and int(a[1:]) == int(b[1:])


def name_in_record(record: dict[str, Any], ui: str) -> str:
    """The name a record gives the MeSH UI `ui`, "" if it names none."""
    for key, ui_key, name_key in _TERM_LISTS:
        for term in record.get(key, ()):
            if term.get(ui_key) and same_ui(term[ui_key], ui) and term.get(name_key):
                return term[name_key]
    return ""


def name_from_records(searcher: Any, docsets: Any, ui: str, tries: int = 5) -> str:
    """The name of `ui` as the first records indexed with it give it ("" if none does)."""
    for n, docnum in enumerate(iter_bits(docsets.term(f.MESH_UI, ui))):
        if n == tries:
            break
        record = f.unpack_record(searcher.stored_fields(docnum)[f.RECORD])
        name = name_in_record(record, ui)
        if name:
            return name
    return ""
