"""API v2 `resultsSection` -> `records.Results` (see `indexer.results`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from indexer.records import Results
from indexer.results import MAX_SERIOUS, TableParts, affected, analysis, cell, label, param, results
from indexer.trials_values import enum_value, one_line, plain_text

Obj = dict[str, Any]
_PARAM = {  # API v2 paramType -> the words ClinicalTrials.gov shows
    "COUNT_OF_PARTICIPANTS": "Count of Participants",
    "COUNT_OF_UNITS": "Count of Units",
    "GEOMETRIC_MEAN": "Geometric Mean",
    "GEOMETRIC_LEAST_SQUARES_MEAN": "Geometric Least Squares Mean",
    "LEAST_SQUARES_MEAN": "Least Squares Mean",
    "LOG_MEAN": "Log Mean",
    "MEAN": "Mean",
    "MEDIAN": "Median",
    "NUMBER": "Number",
}


def _list(obj: Any, key: str) -> list[Obj]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _module(section: Obj, key: str) -> Obj:
    value = section.get(key)
    return value if isinstance(value, dict) else {}


def _s(obj: Obj, key: str) -> str:
    value = obj.get(key)
    return one_line(value) if isinstance(value, str) else ""


def _groups(module: Obj, key: str = "groups") -> list[tuple[str, str]]:
    return [(_s(g, "id"), _s(g, "title")) for g in _list(module, key)]


def parse_results(section: object) -> Results | None:
    """The results of a study's `resultsSection`, None when it has none."""
    if not isinstance(section, dict):
        return None
    return results(
        _flow(_module(section, "participantFlowModule")),
        list(_baseline(_module(section, "baselineCharacteristicsModule"))),
        list(_outcomes(_module(section, "outcomeMeasuresModule"))),
        _events(_module(section, "adverseEventsModule")),
    )


def _flow(module: Obj) -> Iterator[TableParts]:
    groups = _groups(module)
    for period in _list(module, "periods"):
        rows = [
            (
                _s(m, "type"),
                {_s(a, "groupId"): _s(a, "numSubjects") for a in _list(m, "achievements")},
            )
            for m in _list(period, "milestones")
        ]
        rows += [
            (
                f"Reason not completed: {_s(d, 'type')}",
                {_s(r, "groupId"): _s(r, "numSubjects") for r in _list(d, "reasons")},
            )
            for d in _list(period, "dropWithdraws")
        ]
        yield TableParts(_s(period, "title") or "Overall Study", groups, rows)


def _denoms(module: Obj) -> list[tuple[str, dict[str, str]]]:
    return [
        (
            f"Overall number analyzed ({_s(d, 'units') or 'Participants'})",
            {_s(c, "groupId"): _s(c, "value") for c in _list(d, "counts")},
        )
        for d in _list(module, "denoms")
    ]


def _baseline(module: Obj) -> Iterator[TableParts]:
    groups = _groups(module)
    analyzed = _denoms(module)
    if analyzed:
        yield TableParts("Participants analyzed", groups, analyzed)
    for measure in _list(module, "measures"):
        yield _measure(measure, groups, [])


def _measure(measure: Obj, groups: list[tuple[str, str]], rows: list) -> TableParts:
    for klass in _list(measure, "classes"):
        for category in _list(klass, "categories"):
            cells = {
                _s(m, "groupId"): cell(
                    _s(m, "value"), _s(m, "spread"), _s(m, "lowerLimit"), _s(m, "upperLimit")
                )
                for m in _list(category, "measurements")
            }
            rows.append((label(_s(klass, "title"), _s(category, "title")), cells))
    kind = _s(measure, "paramType")
    return TableParts(
        _s(measure, "title"),
        groups,
        rows,
        description=plain_text(measure.get("description"), reflow=False),
        units=_s(measure, "unitOfMeasure"),
        param=param(_PARAM.get(kind, kind.replace("_", " ").capitalize()),
                    _s(measure, "dispersionType")),
    )  # fmt: skip


def _outcomes(module: Obj) -> Iterator[TableParts]:
    for outcome in _list(module, "outcomeMeasures"):
        parts = _measure(outcome, _groups(outcome), _denoms(outcome))
        parts.type = enum_value(_s(outcome, "type"))
        parts.time_frame = _s(outcome, "timeFrame")
        parts.analyses = [
            analysis(
                _s(a, "statisticalMethod"),
                _s(a, "pValue"),
                _s(a, "paramType"),
                _s(a, "paramValue"),
                _s(a, "ciPctValue"),
                _s(a, "ciLowerLimit"),
                _s(a, "ciUpperLimit"),
            )
            for a in _list(outcome, "analyses")
        ]
        yield parts


def _events(module: Obj) -> Iterator[TableParts]:
    groups = _groups(module, "eventGroups")
    time_frame = _s(module, "timeFrame")
    totals = []
    for key, title in (("serious", "Serious adverse events"), ("other", "Other adverse events"),
                       ("deaths", "Deaths (all causes)")):  # fmt: skip
        counts = {
            _s(g, "id"): affected(str(g.get(f"{key}NumAffected", "")),
                                  str(g.get(f"{key}NumAtRisk", "")))
            for g in _list(module, "eventGroups")
        }  # fmt: skip
        if any(counts.values()):
            totals.append((title, counts))
    yield TableParts(
        "Participants affected",
        groups,
        totals,
        description=plain_text(module.get("description"), reflow=False),
        time_frame=time_frame,
    )
    threshold = _s(module, "frequencyThreshold")
    for key, title in (("seriousEvents", "Serious adverse events"),
                       ("otherEvents", "Other adverse events")):  # fmt: skip
        rows = []
        for event in _list(module, key):
            organ = _s(event, "organSystem")
            name = _s(event, "term")
            counts = {
                _s(st, "groupId"): affected(str(st.get("numAffected", "")),
                                            str(st.get("numAtRisk", "")))
                for st in _list(event, "stats")
            }  # fmt: skip
            rows.append((f"{name} ({organ})" if organ else name, counts))
        note = f"Frequency threshold for reporting: {threshold}%." if threshold else ""
        table = TableParts(title, groups, rows, time_frame=time_frame)
        if key == "otherEvents":
            table.description = note
        else:
            table.max_rows = MAX_SERIOUS
        yield table
