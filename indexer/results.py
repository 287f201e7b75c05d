"""Posted results of a trial -> `records.Results`: what both formats share.

ClinicalTrials.gov publishes results as tables whose columns are groups (arms) and whose
cells are values per group: the participant flow (one table per period), baseline
characteristics and outcome measures (one table per measure), and adverse events. The
legacy XML (`<clinical_results>`, read by `results_xml`) and the API v2 JSON
(`resultsSection`, read by `results_json`) say the same things in other words; both are
turned into `ResultTable`s here.

What is stored per record is bounded: a record is stored whole in the index, and some
trials publish hundreds of outcome measures or thousands of adverse-event rows. The caps
below keep the first groups, rows and tables in the published order; every table keeps
the published counts (`groups_total`, `rows_total`, `Results.outcomes_total`...) so that
pages say what was left out (and link to ClinicalTrials.gov for the rest).

Cells keep the published values as text: "57", "57 (13)" with a spread (the table's
`param` says which: "Mean (Standard Deviation)"), "1.2 (0.5 to 2.0)" with limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from indexer.records import ResultRow, Results, ResultTable

MAX_GROUPS = 12  # columns of a table
MAX_ROWS = 40  # rows of a table (of the 'other' adverse events too)
MAX_SERIOUS = 150  # serious adverse events listed (rows of that table)
MAX_BASELINE = 25  # baseline measures
MAX_OUTCOMES = 40  # outcome measures
MAX_ANALYSES = 4  # statistical analyses per outcome measure


@dataclass
class TableParts:
    """A table as a parser reads it: groups (id, title) and rows (label, cells by group id)."""

    title: str
    groups: list[tuple[str, str]]
    rows: list[tuple[str, Mapping[str, str]]] = field(default_factory=list)
    type: str = ""
    description: str = ""
    time_frame: str = ""
    units: str = ""
    param: str = ""
    analyses: list[str] = field(default_factory=list)
    max_rows: int = MAX_ROWS


def table(parts: TableParts) -> ResultTable:
    """The capped table: the first MAX_GROUPS groups, the first `max_rows` rows."""
    groups = parts.groups[:MAX_GROUPS]
    rows = tuple(
        ResultRow(label, tuple(cells.get(gid, "") for gid, _ in groups))
        for label, cells in parts.rows[: parts.max_rows]
    )
    return ResultTable(
        title=parts.title,
        type=parts.type,
        description=parts.description,
        time_frame=parts.time_frame,
        units=parts.units,
        param=parts.param,
        groups=tuple(title for _, title in groups),
        groups_total=len(parts.groups),
        rows=rows,
        rows_total=len(parts.rows),
        analyses=tuple(parts.analyses[:MAX_ANALYSES]),
    )


def results(
    flow: Iterable[TableParts],
    baseline: list[TableParts],
    outcomes: list[TableParts],
    events: Iterable[TableParts],
) -> Results | None:
    """The capped results; None when nothing was published."""
    found = Results(
        flow=tuple(table(t) for t in flow if t.rows),
        baseline=tuple(table(t) for t in baseline[:MAX_BASELINE]),
        baseline_total=len(baseline),
        outcomes=tuple(table(t) for t in outcomes[:MAX_OUTCOMES]),
        outcomes_total=len(outcomes),
        events=tuple(table(t) for t in events if t.rows),
    )
    if not (found.flow or found.baseline or found.outcomes or found.events):
        return None
    return found


def cell(value: str, spread: str = "", lower: str = "", upper: str = "") -> str:
    """A published value with its spread or limits: "57 (13)", "1.2 (0.5 to 2.0)"."""
    if spread:
        return f"{value} ({spread})"
    if lower or upper:
        return f"{value} ({lower or '?'} to {upper or '?'})"
    return value


def param(kind: str, dispersion: str) -> str:
    """ "Mean", "Standard Deviation" -> "Mean (Standard Deviation)"."""
    return f"{kind} ({dispersion})" if kind and dispersion else kind or dispersion


def label(*parts: str) -> str:
    """A row label from a class and a category title (either may be empty)."""
    return ": ".join(p for p in parts if p)


def analysis(
    method: str, p_value: str, estimate: str, value: str, ci: str, lower: str, upper: str
) -> str:
    """One statistical analysis in words: "Hazard Ratio (HR) 0.8 (95% CI 0.6 to 1.1);
    p = 0.13; Log Rank"."""
    parts = []
    if estimate or value:
        interval = f" ({ci}% CI {lower} to {upper})" if lower and upper else ""
        parts.append(" ".join(p for p in (estimate, value) if p) + interval)
    if p_value:
        parts.append(f"p {p_value}" if p_value[:1] in "<>=≤≥" else f"p = {p_value}")
    if method:
        parts.append(method)
    return "; ".join(parts)


def affected(count: str, at_risk: str) -> str:
    """Participants affected of those at risk: "5/27"."""
    if not count:
        return ""
    return f"{count}/{at_risk}" if at_risk else count
