"""ClinicalTrials.gov API v2 JSON -> Trial.

Three shapes are read: one study object (`GET /api/v2/studies/{nctId}`), a bare array of
study objects (the website's "Download -> JSON"), and an API page
`{"studies": [...], "nextPageToken": "..."}` (`GET /api/v2/studies`). The file is streamed
(`indexer.jsonstream`): the studies of an array or a page are decoded one at a time, so a
download of any length takes the memory of one study, and a truncated download still gives
every study before the break. One small helper per module of the study object maps it to
Trial fields (see `indexer.trials_values` for the normalization).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from indexer.errors import SourceError
from indexer.ids import bad_id
from indexer.jsonstream import JsonStream
from indexer.limits import DEFAULT_LIMITS, Limits, quote, size_text
from indexer.records import Intervention, Location, MeshTerm, Outcome, Reference, Skipped, Trial
from indexer.results_json import parse_results
from indexer.trials_values import NO_ID, enum_value, make_trial, one_line, plain_text

Fields = dict[str, Any]
_SHAPES = 'a study object, an array of studies or an API page {"studies": [...]}'


def parse_studies(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Trial | Skipped]:
    """See `indexer.trials.parse_json`."""
    doc = JsonStream(stream, name, limits)
    first = doc.peek()
    if first == "[":
        yield from _array(doc)
    elif first == "{":
        yield from _object(doc, limits)
    else:
        doc.value()  # malformed, or a bare string or number
        raise SourceError(name, f"unknown JSON shape (expected {_SHAPES})")
    if doc.peek():
        doc.fail("extra data after the " + ("array" if first == "[" else "object"))


def _array(doc: JsonStream) -> Iterator[Trial | Skipped]:
    """The studies of the array at the reader, one at a time."""
    doc.take("[", "'['")
    if doc.peek() == "]":
        doc.take("]", "']'")
        return
    while True:
        where = doc.line()
        obj, _ = doc.value()
        yield _study(obj, doc.name, where)
        if doc.peek() == ",":
            doc.take(",", "','")
            continue
        doc.take("]", "',' or ']'")
        return


def _object(doc: JsonStream, limits: Limits) -> Iterator[Trial | Skipped]:
    """A study object (its members kept, up to the record limit) or an API page (its
    "studies" streamed, the other members dropped)."""
    doc.take("{", "'{'")
    members: dict[str, Any] = {}
    size, page = 0, False
    while doc.peek() != "}":
        if members or page:
            doc.take(",", "',' or '}'")
        where = doc.line()
        key, _ = doc.value()
        if not isinstance(key, str):
            doc.fail("expected a member name in double quotes")
        doc.take(":", "':'")
        if key == "studies" and doc.peek() == "[":
            page = True
            yield from _array(doc)
            continue
        members[key], length = doc.value()
        size += length
        if size > limits.max_json_record:
            limit = size_text(limits.max_json_record)
            raise SourceError(
                doc.name, f"a JSON study longer than {limit} (the record limit)", where
            )
    doc.take("}", "'}'")
    if page:
        return
    if "protocolSection" in members:
        yield _study(members, doc.name, "")
    else:
        raise SourceError(doc.name, f"unknown JSON shape (expected {_SHAPES})")


def _study(obj: object, name: str, where: str) -> Trial | Skipped:
    """One study object as a Trial, or Skipped when it has no valid NCT id or an odd
    structure."""
    if not isinstance(obj, dict):
        return Skipped(name, where, f"not a study object but a JSON {type(obj).__name__}")
    protocol = obj.get("protocolSection")
    nct_id = _get(protocol, "identificationModule", "nctId")
    nct_id = one_line(nct_id) if isinstance(nct_id, str) else ""
    if not nct_id:
        return Skipped(name, where, NO_ID)
    if reason := bad_id("NCT id", nct_id):
        return Skipped(name, where, reason)
    found: Fields = {"source": "ctgov-json", "has_results": obj.get("hasResults") is True}
    try:
        for key, helper in _MODULES.items():
            found.update(helper(_get(protocol, key) or {}))
        found.update(_derived(obj.get("derivedSection") or {}))
        found["results"] = parse_results(obj.get("resultsSection"))
        return make_trial(found)
    except (AttributeError, TypeError, ValueError) as e:
        reason = f"unexpected study structure ({type(e).__name__}: {quote(str(e))})"
        return Skipped(name, nct_id, reason)


def _get(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]..., None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _list(obj: Any, *keys: str) -> list[Any]:
    value = _get(obj, *keys)
    return value if isinstance(value, list) else []


def _texts(values: list[Any]) -> list[str]:
    return [one_line(v) for v in values if isinstance(v, str) and one_line(v)]


# ------------------------------------------------------------ one helper per module


def _identification(m: dict[str, Any]) -> Fields:
    return {
        "nct_id": one_line(m.get("nctId")),
        "brief_title": one_line(m.get("briefTitle")),
        "official_title": one_line(m.get("officialTitle")),
        "acronym": one_line(m.get("acronym")),
        "secondary_ids": _texts([_get(i, "id") for i in _list(m, "secondaryIdInfos")]),
    }


def _status(m: dict[str, Any]) -> Fields:
    return {
        "overall_status": enum_value(m.get("overallStatus")),
        "start_date": one_line(_get(m, "startDateStruct", "date")),
        "primary_completion_date": one_line(_get(m, "primaryCompletionDateStruct", "date")),
        "completion_date": one_line(_get(m, "completionDateStruct", "date")),
        "first_posted_date": one_line(_get(m, "studyFirstPostDateStruct", "date")),
        "last_update_date": one_line(_get(m, "lastUpdatePostDateStruct", "date")),
    }


def _sponsors(m: dict[str, Any]) -> Fields:
    return {
        "lead_sponsor": one_line(_get(m, "leadSponsor", "name")),
        "lead_sponsor_class": enum_value(_get(m, "leadSponsor", "class")),
        "collaborators": _texts([_get(c, "name") for c in _list(m, "collaborators")]),
    }


def _description(m: dict[str, Any]) -> Fields:
    return {
        "brief_summary": plain_text(m.get("briefSummary"), reflow=False),
        "detailed_description": plain_text(m.get("detailedDescription"), reflow=False),
    }


def _conditions(m: dict[str, Any]) -> Fields:
    return {"conditions": _texts(_list(m, "conditions")), "keywords": _texts(_list(m, "keywords"))}


def _design(m: dict[str, Any]) -> Fields:
    count = _get(m, "enrollmentInfo", "count")
    return {
        "study_type": enum_value(m.get("studyType")),
        "phases": [enum_value(p) for p in _texts(_list(m, "phases"))],
        "allocation": enum_value(_get(m, "designInfo", "allocation")),
        "intervention_model": enum_value(_get(m, "designInfo", "interventionModel")),
        "primary_purpose": enum_value(_get(m, "designInfo", "primaryPurpose")),
        "masking": enum_value(_get(m, "designInfo", "maskingInfo", "masking")),
        "enrollment": count if isinstance(count, int) and not isinstance(count, bool) else None,
        "enrollment_type": enum_value(_get(m, "enrollmentInfo", "type")),
    }


def _arms_interventions(m: dict[str, Any]) -> Fields:
    return {
        "interventions": [
            Intervention(type=enum_value(i.get("type")), name=one_line(i.get("name")))
            for i in _list(m, "interventions")
        ]
    }


def _outcomes(m: dict[str, Any]) -> Fields:
    return {
        field: [
            Outcome(
                measure=one_line(o.get("measure")),
                time_frame=one_line(o.get("timeFrame")),
                description=plain_text(o.get("description"), reflow=False),
            )
            for o in _list(m, key)
        ]
        for field, key in (("primary_outcomes", "primaryOutcomes"),
                           ("secondary_outcomes", "secondaryOutcomes"),
                           ("other_outcomes", "otherOutcomes"))
    }  # fmt: skip


def _eligibility(m: dict[str, Any]) -> Fields:
    healthy = m.get("healthyVolunteers")
    return {
        "eligibility_criteria": plain_text(m.get("eligibilityCriteria"), reflow=False),
        "sex": enum_value(m.get("sex")),
        "minimum_age": one_line(m.get("minimumAge")),
        "maximum_age": one_line(m.get("maximumAge")),
        "healthy_volunteers": healthy if isinstance(healthy, bool) else None,
    }


def _contacts_locations(m: dict[str, Any]) -> Fields:
    return {
        "locations": [
            Location(
                facility=one_line(loc.get("facility")),
                city=one_line(loc.get("city")),
                state=one_line(loc.get("state")),
                country=one_line(loc.get("country")),
                status=enum_value(loc.get("status")),
            )
            for loc in _list(m, "locations")
        ]
    }


def _references(m: dict[str, Any]) -> Fields:
    return {
        "references": [
            Reference(
                pmid=one_line(r.get("pmid")),
                type=enum_value(r.get("type")),
                citation=one_line(r.get("citation")),
            )
            for r in _list(m, "references")
        ]
    }


def _derived(d: dict[str, Any]) -> Fields:
    return {
        "snapshot_date": one_line(_get(d, "miscInfoModule", "versionHolder")),
        "condition_mesh": _meshes(d, "conditionBrowseModule", "meshes"),
        "condition_mesh_ancestors": _meshes(d, "conditionBrowseModule", "ancestors"),
        "intervention_mesh": _meshes(d, "interventionBrowseModule", "meshes"),
        "intervention_mesh_ancestors": _meshes(d, "interventionBrowseModule", "ancestors"),
    }


def _meshes(d: dict[str, Any], module: str, key: str) -> list[MeshTerm]:
    return [
        MeshTerm(ui=one_line(t.get("id")), term=one_line(t.get("term")))
        for t in _list(d, module, key)
        if one_line(t.get("term"))
    ]


_MODULES: dict[str, Callable[[dict[str, Any]], Fields]] = {
    "identificationModule": _identification,
    "statusModule": _status,
    "sponsorCollaboratorsModule": _sponsors,
    "descriptionModule": _description,
    "conditionsModule": _conditions,
    "designModule": _design,
    "armsInterventionsModule": _arms_interventions,
    "outcomesModule": _outcomes,
    "eligibilityModule": _eligibility,
    "contactsLocationsModule": _contacts_locations,
    "referencesModule": _references,
}
