"""Posted results (indexer.results, results_xml, results_json) on real records.

Expected values are copied from the fixture files: tests/data/trials/xml/NCT00003222.xml
(`<clinical_results>`), tests/data/records/NCT02856893.json and
tests/data/trials/json/NCT00731666.json (`resultsSection`).
"""

from __future__ import annotations

from pathlib import Path

from indexer.records import ResultRow, Trial
from indexer.results import MAX_ROWS
from indexer.trials import parse_json, parse_legacy_xml

DATA = Path(__file__).parent / "data" / "trials"
RECORDS = Path(__file__).parent / "data" / "records"


def trial(path: Path) -> Trial:
    parse = parse_json if path.suffix == ".json" else parse_legacy_xml
    with path.open("rb") as stream:
        (found,) = parse(stream, str(path))
    assert isinstance(found, Trial)
    return found


def test_xml_participant_flow():
    r = trial(DATA / "xml" / "NCT00003222.xml").results
    assert r is not None
    (period,) = r.flow
    assert period.title == "Overall Study"
    assert period.groups == (
        "Peptides Pulsed on Dendritic Cells",
        "Peptides in Sargramostim (GMCSF)-In-Montanide ISA-51 Adjuvant",
    )
    assert period.rows == (
        ResultRow("STARTED", ("13", "28")),
        ResultRow("COMPLETED", ("13", "27")),
        ResultRow("NOT COMPLETED", ("0", "1")),
        ResultRow("Reason not completed: Physician Decision", ("0", "1")),
    )


def test_xml_baseline_measures_with_spread():
    r = trial(DATA / "xml" / "NCT00003222.xml").results
    assert r is not None
    titles = [t.title for t in r.baseline]
    assert titles == [
        "Participants analyzed",
        "Age",
        "Age",
        "Sex: Female, Male",
        "Region of Enrollment",
    ]
    age = r.baseline[2]
    assert (age.units, age.param) == ("years", "Mean (Standard Deviation)")
    assert age.groups[2] == "Total"
    assert age.rows == (ResultRow("", ("57 (13)", "55 (11)", "55 (12)")),)
    sex = r.baseline[3]
    assert sex.rows == (
        ResultRow("Female", ("7", "9", "16")),
        ResultRow("Male", ("6", "19", "25")),
    )
    assert r.baseline[4].rows == (ResultRow("United States", ("13", "28", "41")),)


def test_xml_outcome_measures_with_values_and_analyses():
    r = trial(DATA / "xml" / "NCT00003222.xml").results
    assert r is not None
    assert r.outcomes_total == len(r.outcomes)
    first = r.outcomes[0]
    assert first.title == "Evaluation of Objective Clinical Response (CR/PR/SD)"
    assert first.type == "PRIMARY"
    assert first.time_frame == "Weeks 0-6,12; Months 6,12 and 24"
    assert (first.units, first.param) == ("participants", "Number")
    assert [row.label for row in first.rows] == [
        "Overall number analyzed (Participants)",
        "Complete Response",
        "Partial Response",
        "Stable Disease",
        "Progressive Disease",
    ]
    assert first.rows[2].values == ("1", "2")
    assert r.outcomes[1].analyses == ("p = 0.13; Chi-squared",)
    assert r.outcomes[2].analyses == ("p = 0.004; Chi-squared",)


def test_xml_adverse_events_counts_and_serious_ones():
    r = trial(DATA / "xml" / "NCT00003222.xml").results
    assert r is not None
    totals, serious, other = r.events
    assert totals.title == "Participants affected"
    assert totals.rows == (
        ResultRow("Serious adverse events", ("0/10", "5/27")),
        ResultRow("Other adverse events", ("9/10", "27/27")),
    )
    assert serious.title == "Serious adverse events"
    assert serious.rows[0] == ResultRow("General- Other (Cardiac disorders)", ("0/10", "1/27"))
    assert "Dyspnea (Respiratory, thoracic and mediastinal disorders)" in [
        row.label for row in serious.rows
    ]
    assert other.title == "Other adverse events"
    assert other.description == "Frequency threshold for reporting: 5%."
    assert other.time_frame == "2 years"


def test_json_results_of_nct02856893():
    r = trial(RECORDS / "NCT02856893.json").results
    assert r is not None
    (period,) = r.flow
    assert period.rows[:3] == (
        ResultRow("STARTED", ("53", "52", "51")),
        ResultRow("COMPLETED", ("20", "33", "27")),
        ResultRow("NOT COMPLETED", ("33", "19", "24")),
    )
    assert r.outcomes_total == 9
    primary = r.outcomes[0]
    assert (primary.title, primary.type) == ("PFS Rate at 18 Months", "PRIMARY")
    assert primary.param == "Number (84% Confidence Interval)"
    assert primary.rows[1].values == (
        "51.1 (40.2 to 61.0)",
        "67.2 (56.4 to 75.9)",
        "53.5 (42.3 to 63.5)",
    )
    assert primary.analyses[0] == "Kaplan-Meier survival rate 67.2 (84% CI 56.4 to 75.9)"
    assert [o.type for o in r.outcomes].count("SECONDARY") == 8
    totals = r.events[0]
    assert totals.rows == (
        ResultRow("Serious adverse events", ("9/53", "6/52", "13/51")),
        ResultRow("Other adverse events", ("52/53", "51/52", "50/51")),
        ResultRow("Deaths (all causes)", ("19/53", "20/52", "18/51")),
    )
    serious = r.events[1]
    assert serious.rows[0] == ResultRow(
        "ACUTE RESPIRATORY INSUFFICIENCY (Respiratory, thoracic and mediastinal disorders)",
        ("0/53", "2/52", "0/51"),
    )


def test_long_lists_are_capped_and_say_how_long_they_were():
    """NCT02856893 publishes 90 'other' adverse events: the first MAX_ROWS are kept."""
    r = trial(RECORDS / "NCT02856893.json").results
    assert r is not None
    other = r.events[2]
    assert other.title == "Other adverse events"
    assert other.rows_total == 90
    assert len(other.rows) == MAX_ROWS < 90
    assert other.rows[0].label == "Anemia (Blood and lymphatic system disorders)"


def test_json_single_group_results():
    r = trial(DATA / "json" / "NCT00731666.json").results
    assert r is not None
    assert r.flow[0].groups == ("Titan® IPP",)
    assert r.flow[0].rows[0] == ResultRow("STARTED", ("40",))
    assert r.events[0].rows[0] == ResultRow("Serious adverse events", ("1/40",))
    assert r.events[1].rows == (
        ResultRow("Infection (Surgical and medical procedures)", ("1/40",)),
    )


def test_a_trial_without_results_has_none():
    assert trial(DATA / "xml" / "NCT00002845.xml").results is None
    assert trial(DATA / "json" / "NCT00042536.json").results is None
