"""Legacy ClinicalTrials.gov XML (one `<clinical_study>` per document, AllPublicXML) -> Trial.

The document is streamed (`xmlstream.children`): each child of the root is handled by one
small helper when it ends, then cleared, and the children no helper reads (such as a large
`<clinical_results>`) are cleared as they stream past, so a study stays small in memory; a
handled child past the record limits ends the file with one line. Values are mapped to the
API v2 spelling (see `indexer.trials_values`).

What the legacy XML cannot say, compared with the API v2 JSON:
* MeSH terms carry no UI (`MeshTerm("", term)`) and there are no MeSH ancestors;
* `<reference>` is BACKGROUND: the XML has no way to tell a DERIVED reference (one NLM
  linked from PubMed) from a BACKGROUND one; `<results_reference>` is RESULT.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from lxml import etree

from indexer import results_xml
from indexer.errors import SourceError
from indexer.ids import bad_id
from indexer.limits import DEFAULT_LIMITS, Limits
from indexer.records import Intervention, Location, MeshTerm, Outcome, Reference, Skipped, Trial
from indexer.trials_values import NO_ID, enum_value, iso_date, make_trial, one_line, plain_text
from indexer.xmlstream import Oversized, children

Fields = dict[str, Any]

_STATUS = {
    "unknown status": "UNKNOWN",
    "active, not recruiting": "ACTIVE_NOT_RECRUITING",
}
_STUDY_TYPE = {
    "observational [patient registry]": "OBSERVATIONAL",
    "n/a": "",
}
_PHASE = {"n/a": "NA"}
_PHASE_NUMBER = re.compile(r"(?i)phase\s*(\d)")  # "Early Phase 1" -> "Early PHASE1"
_AGENCY_CLASS = {"u.s. fed": "FED", "other u.s. federal agency": "FED"}
_ALLOCATION = {"n/a": "NA", "non-randomized": "NON_RANDOMIZED"}
_PURPOSE = {"educational/counseling/training": "ECT"}
_ENROLLMENT_TYPE = {"anticipated": "ESTIMATED", "estimate": "ESTIMATED"}
_MASKING = {"open label": "NONE", "none": "NONE"}
_MASKING_WORDS = ("none", "single", "double", "triple", "quadruple")
_ROOT = ("clinical_study",)
_ROOT_ERROR = "root element <{tag}> is not <clinical_study>"
_DOWNLOAD_DATE = re.compile(r"processed this data on (.+)$")


def parse_clinical_study(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Trial | Skipped]:
    """See `indexer.trials.parse_legacy_xml`."""
    found: Fields = {"source": "ctgov-xml"}
    nested = {"clinical_results": results_xml.PART_TAGS}  # each part read, then dropped
    for elem in children(stream, name, _ROOT, _HANDLERS, limits, _ROOT_ERROR, _PRESENCE, nested):
        if isinstance(elem, Oversized):
            raise SourceError(name, f"<{elem.tag}>: {elem.reason.removesuffix(': skipped')}",
                              f"line {elem.line}")  # fmt: skip
        handler = _HANDLERS.get(elem.tag)
        if handler is not None:
            handler(elem, found)
        elif elem.tag in _PRESENCE:
            found[_PRESENCE[elem.tag]] = True
        else:
            results_xml.read_part(elem, found)
    nct_id = found.get("nct_id", "")
    if not nct_id:
        yield Skipped(name, "", NO_ID)
    elif reason := bad_id("NCT id", nct_id):
        yield Skipped(name, "", reason)
    else:
        results_xml.finish(found)
        yield make_trial(found)


def _text(elem: etree._Element | None, path: str = "") -> str:
    """The one-line text of `elem` (or of its descendant at `path`), "" when absent."""
    if elem is not None and path:
        elem = elem.find(path)
    return one_line(elem.text) if elem is not None else ""


def _block(elem: etree._Element | None) -> str:
    """A `<textblock>` holder as plain text."""
    return plain_text(elem.findtext("textblock") if elem is not None else "", reflow=True)


# ---------------------------------------------------------------- one helper per element


def _required_header(elem: etree._Element, found: Fields) -> None:
    match = _DOWNLOAD_DATE.search(_text(elem, "download_date"))
    found["snapshot_date"] = iso_date(match.group(1)) if match else ""


def _id_info(elem: etree._Element, found: Fields) -> None:
    found["nct_id"] = _text(elem, "nct_id")
    found["secondary_ids"] = [_text(e) for e in elem.iterfind("secondary_id") if _text(e)]


def _sponsors(elem: etree._Element, found: Fields) -> None:
    lead = elem.find("lead_sponsor")
    found["lead_sponsor"] = _text(lead, "agency")
    found["lead_sponsor_class"] = enum_value(_text(lead, "agency_class"), _AGENCY_CLASS)
    found["collaborators"] = [_text(e, "agency") for e in elem.iterfind("collaborator")]


def _phase(elem: etree._Element, found: Fields) -> None:
    text = _text(elem)
    parts = [text] if text.lower() == "n/a" else text.split("/")
    found["phases"] = [enum_value(_PHASE_NUMBER.sub(r"PHASE\1", p), _PHASE) for p in parts]


def _study_design(elem: etree._Element, found: Fields) -> None:
    found["allocation"] = enum_value(_text(elem, "allocation"), _ALLOCATION)
    model = re.sub(r"\s+Assignment$", "", _text(elem, "intervention_model"))
    found["intervention_model"] = enum_value(model)
    found["primary_purpose"] = enum_value(_text(elem, "primary_purpose"), _PURPOSE)
    found["masking"] = _masking(_text(elem, "masking"))


def _masking(text: str) -> str:
    """ "Double (Participant, Investigator)" -> "DOUBLE"; old "Double Blind" -> "DOUBLE",
    "Open Label" / "None (Open Label)" -> "NONE"."""
    first = text.split(" ")[0].lower()
    if first in _MASKING_WORDS:
        return first.upper()
    return enum_value(text, _MASKING)


def _outcome(field: str) -> Callable[[etree._Element, Fields], None]:
    def handler(elem: etree._Element, found: Fields) -> None:
        found.setdefault(field, []).append(
            Outcome(
                measure=_text(elem, "measure"),
                time_frame=_text(elem, "time_frame"),
                description=plain_text(elem.findtext("description"), reflow=True),
            )
        )

    return handler


def _enrollment(elem: etree._Element, found: Fields) -> None:
    text = _text(elem)
    found["enrollment"] = int(text) if text.isdigit() else None
    found["enrollment_type"] = enum_value(elem.get("type"), _ENROLLMENT_TYPE)


def _intervention(elem: etree._Element, found: Fields) -> None:
    found.setdefault("interventions", []).append(
        Intervention(
            type=enum_value(_text(elem, "intervention_type")),
            name=_text(elem, "intervention_name"),
        )
    )


def _eligibility(elem: etree._Element, found: Fields) -> None:
    found["eligibility_criteria"] = _block(elem.find("criteria"))
    found["sex"] = enum_value(_text(elem, "gender"))
    found["minimum_age"] = _age(_text(elem, "minimum_age"))
    found["maximum_age"] = _age(_text(elem, "maximum_age"))
    healthy = _text(elem, "healthy_volunteers").lower()
    found["healthy_volunteers"] = (
        True if healthy in ("accepts healthy volunteers", "yes") else False if healthy else None
    )


def _age(text: str) -> str:
    return "" if text.lower() == "n/a" else text


def _location(elem: etree._Element, found: Fields) -> None:
    address = elem.find("facility/address")
    found.setdefault("locations", []).append(
        Location(
            facility=_text(elem, "facility/name"),
            city=_text(address, "city"),
            state=_text(address, "state"),
            country=_text(address, "country"),
            status=enum_value(_text(elem, "status"), _STATUS),
        )
    )


def _reference(kind: str) -> Callable[[etree._Element, Fields], None]:
    def handler(elem: etree._Element, found: Fields) -> None:
        found.setdefault("references", []).append(
            Reference(pmid=_text(elem, "PMID"), type=kind, citation=_text(elem, "citation"))
        )

    return handler


def _browse(field: str) -> Callable[[etree._Element, Fields], None]:
    def handler(elem: etree._Element, found: Fields) -> None:
        found[field] = [MeshTerm("", _text(e)) for e in elem.iterfind("mesh_term") if _text(e)]

    return handler


def _value(field: str, convert: Callable[[str], Any] = lambda s: s) -> Callable[..., None]:
    """A handler storing the element's one-line text, converted."""

    def handler(elem: etree._Element, found: Fields) -> None:
        found[field] = convert(_text(elem))

    return handler


def _appended(field: str) -> Callable[[etree._Element, Fields], None]:
    def handler(elem: etree._Element, found: Fields) -> None:
        if _text(elem):
            found.setdefault(field, []).append(_text(elem))

    return handler


def _text_block(field: str) -> Callable[[etree._Element, Fields], None]:
    def handler(elem: etree._Element, found: Fields) -> None:
        found[field] = _block(elem)

    return handler


def _fallback_date(field: str) -> Callable[[etree._Element, Fields], None]:
    """Old files' `lastchanged_date` / `firstreceived_date`: used when the newer element
    (`last_update_posted` / `study_first_posted`) is absent."""

    def handler(elem: etree._Element, found: Fields) -> None:
        found.setdefault(field, iso_date(_text(elem)))

    return handler


def _date(field: str) -> Callable[[etree._Element, Fields], None]:
    return _value(field, iso_date)


_HANDLERS: dict[str, Callable[[etree._Element, Fields], None]] = {
    "required_header": _required_header,
    "id_info": _id_info,
    "brief_title": _value("brief_title"),
    "official_title": _value("official_title"),
    "acronym": _value("acronym"),
    "sponsors": _sponsors,
    "brief_summary": _text_block("brief_summary"),
    "detailed_description": _text_block("detailed_description"),
    "overall_status": _value("overall_status", lambda s: enum_value(s, _STATUS)),
    "start_date": _date("start_date"),
    "completion_date": _date("completion_date"),
    "primary_completion_date": _date("primary_completion_date"),
    "study_first_posted": _date("first_posted_date"),
    "firstreceived_date": _fallback_date("first_posted_date"),
    "last_update_posted": _date("last_update_date"),
    "lastchanged_date": _fallback_date("last_update_date"),
    "phase": _phase,
    "study_type": _value("study_type", lambda s: enum_value(s, _STUDY_TYPE)),
    "study_design_info": _study_design,
    "primary_outcome": _outcome("primary_outcomes"),
    "secondary_outcome": _outcome("secondary_outcomes"),
    "other_outcome": _outcome("other_outcomes"),
    "enrollment": _enrollment,
    "condition": _appended("conditions"),
    "keyword": _appended("keywords"),
    "intervention": _intervention,
    "eligibility": _eligibility,
    "location": _location,
    "reference": _reference("BACKGROUND"),
    "results_reference": _reference("RESULT"),
    "condition_browse": _browse("condition_mesh"),
    "intervention_browse": _browse("intervention_mesh"),
}
_PRESENCE = {"clinical_results": "has_results"}  # only whether the element is there
