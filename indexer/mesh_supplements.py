"""MeSH supplementary concept records (SCRs, `<SupplementalRecordSet>`, suppXXXX.xml).

NLM names chemicals, drugs, rare diseases and protocols that are not descriptors with SCRs
(UIs "C..."); ClinicalTrials.gov uses them in the browse terms of trials ("osimertinib",
C000596361) and PubMed as supplementary concepts of citations. Each record becomes a
`MeshDescriptor` (its UI "C...", heading = the record's name, scope note = its Note, entry
terms = its terms, no tree numbers) with `mapped_to`: the UIs of the descriptors NLM maps
it to (HeadingMappedTo, the "*" of a major mapping dropped). So SCRs label facet values,
resolve trials' terms by name, and are defined on their own MeSH page like descriptors.
"""

from __future__ import annotations

from lxml import etree

from indexer.records import MeshDescriptor, Skipped

ROOT = "SupplementalRecordSet"
RECORD = "SupplementalRecord"
SOURCE = "mesh-xml"


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def supplemental_record(elem: etree._Element, name: str) -> MeshDescriptor | Skipped:
    """One `<SupplementalRecord>` as a MeshDescriptor (see the module docstring)."""
    ui = _one_line(elem.findtext("SupplementalRecordUI"))
    heading = _one_line(elem.findtext("SupplementalRecordName/String"))
    if not ui:
        return Skipped(name, f"line {elem.sourceline}", "SupplementalRecord has no UI")
    if not heading:
        return Skipped(name, ui, "SupplementalRecord has no SupplementalRecordName")
    terms = [heading]
    terms += [_one_line(t.text) for t in elem.iterfind("ConceptList/Concept/TermList/Term/String")]
    mapped = [
        _one_line(e.text).lstrip("*")
        for e in elem.iterfind(
            "HeadingMappedToList/HeadingMappedTo/DescriptorReferredTo/DescriptorUI"
        )
    ]
    return MeshDescriptor(
        ui=ui,
        heading=heading,
        scope_note=_one_line(elem.findtext("Note")),
        entry_terms=tuple(dict.fromkeys(t for t in terms if t)),
        tree_numbers=(),
        source=SOURCE,
        mapped_to=tuple(dict.fromkeys(m for m in mapped if m)),
    )
