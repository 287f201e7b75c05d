"""Names of MeSH UIs that have no MeSH record in the index, taken from the records that carry
them: ClinicalTrials.gov's API v2 gives each browse term its UI and name (supplementary
concepts such as C000596361 "osimertinib", or descriptors newer than the indexed MeSH
edition), PubMed gives each MeSH heading its UI and name."""

from __future__ import annotations

from typing import Any

from search import fields as f
from search.hits import name_in_record
from search.whoosh.docsets import iter_bits


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
