"""Legacy XML `<clinical_results>` -> `records.Results` (see `indexer.results`).

`trials_xml` hands over each child of `<clinical_results>` when it ends (`read_part`) and
asks for the record at the end (`finish`), so only one part is in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from indexer.results import MAX_SERIOUS, TableParts, affected, analysis, cell, label, param, results
from indexer.trials_values import enum_value, one_line, plain_text

Element = etree._Element
Parts = dict[str, list[TableParts]]
_OUTCOME_TYPE = {"other pre-specified": "OTHER_PRE_SPECIFIED", "post-hoc": "POST_HOC"}
_TOTALS = {  # the XML's totals rows of reported_events, as the API v2 names them
    "Total, serious adverse events": "Serious adverse events",
    "Total, other adverse events": "Other adverse events",
    "Total, all-cause mortality": "Deaths (all causes)",
}


def _text(elem: Element | None, path: str) -> str:
    found = elem.find(path) if elem is not None else None
    return one_line(found.text) if found is not None else ""


def _groups(elem: Element) -> list[tuple[str, str]]:
    return [(g.get("group_id", ""), _text(g, "title")) for g in elem.iterfind("group_list/group")]


def read_part(elem: Element, found: dict[str, Any]) -> None:
    """Read one child of `<clinical_results>` into `found["results_parts"]`."""
    parts: Parts = found.setdefault("results_parts", {})
    reader = _PARTS.get(elem.tag)
    if reader is not None:
        parts.setdefault(elem.tag, []).extend(reader(elem))


def finish(found: dict[str, Any]) -> None:
    """Turn the parts read into `found["results"]`."""
    parts: Parts = found.pop("results_parts", {})
    found["results"] = results(
        parts.get("participant_flow", []),
        parts.get("baseline", []),
        parts.get("outcome_list", []),
        parts.get("reported_events", []),
    )


def _flow(elem: Element) -> Iterator[TableParts]:
    groups = _groups(elem)
    for period in elem.iterfind("period_list/period"):
        rows = [
            (_text(m, "title"), _participants(m))
            for m in period.iterfind("milestone_list/milestone")
        ]
        rows += [
            (f"Reason not completed: {_text(r, 'title')}", _participants(r))
            for r in period.iterfind("drop_withdraw_reason_list/drop_withdraw_reason")
        ]
        yield TableParts(_text(period, "title") or "Overall Study", groups, rows)


def _participants(elem: Element) -> dict[str, str]:
    return {
        p.get("group_id", ""): p.get("count", "")
        for p in elem.iterfind("participants_list/participants")
    }


def _baseline(elem: Element) -> Iterator[TableParts]:
    groups = _groups(elem)
    analyzed = _analyzed(elem)
    if analyzed:
        yield TableParts("Participants analyzed", groups, analyzed)
    for measure in elem.iterfind("measure_list/measure"):
        yield _measure(measure, groups, _text(measure, "title"))


def _analyzed(elem: Element) -> list[tuple[str, dict[str, str]]]:
    rows = []
    for a in elem.iterfind("analyzed_list/analyzed"):
        counts = {c.get("group_id", ""): c.get("value", "") for c in a.iterfind("count_list/count")}
        rows.append((f"Overall number analyzed ({_text(a, 'units') or 'Participants'})", counts))
    return rows


def _measure(measure: Element, groups: list[tuple[str, str]], title: str) -> TableParts:
    rows = _analyzed(measure)
    for klass in measure.iterfind("class_list/class"):
        for category in klass.iterfind("category_list/category"):
            cells = {
                m.get("group_id", ""): cell(
                    m.get("value", ""),
                    m.get("spread", ""),
                    m.get("lower_limit", ""),
                    m.get("upper_limit", ""),
                )
                for m in category.iterfind("measurement_list/measurement")
            }
            rows.append((label(_text(klass, "title"), _text(category, "title")), cells))
    return TableParts(
        title,
        groups,
        rows,
        description=plain_text(measure.findtext("description"), reflow=True),
        units=_text(measure, "units"),
        param=param(_text(measure, "param"), _text(measure, "dispersion")),
    )


def _outcomes(elem: Element) -> Iterator[TableParts]:
    for outcome in elem.iterfind("outcome"):
        measure = outcome.find("measure")
        groups = _groups(outcome)
        title = _text(outcome, "title")
        parts = _measure(measure, groups, title) if measure is not None else TableParts(title, [])
        parts.type = enum_value(_text(outcome, "type"), _OUTCOME_TYPE)
        parts.description = plain_text(outcome.findtext("description"), reflow=True)
        parts.time_frame = _text(outcome, "time_frame")
        parts.analyses = [
            analysis(
                _text(a, "method"),
                _text(a, "p_value"),
                _text(a, "param_type"),
                _text(a, "param_value"),
                _text(a, "ci_percent"),
                _text(a, "ci_lower_limit"),
                _text(a, "ci_upper_limit"),
            )
            for a in outcome.iterfind("analysis_list/analysis")
        ]
        yield parts


def _events(elem: Element) -> Iterator[TableParts]:
    groups = _groups(elem)
    time_frame = _text(elem, "time_frame")
    totals: list[tuple[str, dict[str, str]]] = []
    lists = []
    for kind, title in (("serious_events", "Serious adverse events"),
                        ("other_events", "Other adverse events")):  # fmt: skip
        events = elem.find(kind)
        if events is None:
            continue
        rows = []
        for category in events.iterfind("category_list/category"):
            organ = _text(category, "title")
            for event in category.iterfind("event_list/event"):
                name = _text(event, "sub_title")
                counts = {
                    c.get("group_id", ""): affected(
                        c.get("subjects_affected", ""), c.get("subjects_at_risk", "")
                    )
                    for c in event.iterfind("counts")
                }
                if name in _TOTALS:
                    totals.append((_TOTALS[name], counts))
                else:
                    rows.append((f"{name} ({organ})" if organ else name, counts))
        threshold = _text(events, "frequency_threshold")
        note = f"Frequency threshold for reporting: {threshold}%." if threshold else ""
        table = TableParts(title, groups, rows, description=note, time_frame=time_frame)
        if kind == "serious_events":
            table.max_rows = MAX_SERIOUS
        lists.append(table)
    description = plain_text(elem.findtext("desc"), reflow=True)
    yield TableParts(
        "Participants affected", groups, totals, description=description, time_frame=time_frame
    )
    yield from lists


_PARTS = {
    "participant_flow": _flow,
    "baseline": _baseline,
    "outcome_list": _outcomes,
    "reported_events": _events,
}
PART_TAGS = tuple(_PARTS)  # the children of <clinical_results> that read_part reads
