"""Patient mode (search/eligibility.py): trials that exclude the patient's age or sex rank
lower and are never hidden; on the fixture index, both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search import fields as f
from search.eligibility import EXCLUDED_FACTOR, admits, age_years
from search.engine import SearchEngine
from search.models import SearchRequest
from search.querymodel import Demographics

TOPICS = Path(__file__).parent / "data" / "queries" / "trec_ct_2021_topics.jsonl"
# trec-20211: "Patient is a 45-year-old man with a history of anaplastic astrocytoma..."
NOTE = json.loads(TOPICS.read_text(encoding="utf-8").splitlines()[0])["text"]
TRIALS = (("type", (f.TRIAL,)),)


def trial(sex: str = "ALL", low: str = "", high: str = "") -> dict:
    return {"type": f.TRIAL, "sex": sex, "minimum_age": low, "maximum_age": high}


@pytest.mark.parametrize(
    "record, patient, admitted",
    [
        (trial(), Demographics(45.0, "male"), True),
        (trial("FEMALE"), Demographics(45.0, "male"), False),
        (trial("FEMALE"), Demographics(45.0, ""), True),  # sex not stated: not excluded
        (trial(low="18 Years", high="40 Years"), Demographics(45.0, "male"), False),
        (trial(low="50 Years"), Demographics(45.0, "female"), False),
        (trial(low="6 Months", high="17 Years"), Demographics(0.5, "female"), True),
        (trial(low="N/A", high="N/A"), Demographics(99.0, "male"), True),
        (trial(high="65 Years"), Demographics(None, "male"), True),
        ({"type": f.ARTICLE}, Demographics(45.0, "male"), True),
    ],
)
def test_admits(record, patient, admitted):
    assert admits(record, patient) is admitted


def test_age_years():
    assert (age_years("18 Years"), age_years("6 Months"), age_years("N/A")) == (18.0, 0.5, None)


@pytest.fixture(scope="module")
def engine(index_dir):
    return SearchEngine(index_dir)


def test_patient_mode_ranks_excluding_trials_lower_and_hides_none(engine):
    """The same description searched as text and in patient mode: the same trials, each
    excluding trial's score multiplied by EXCLUDED_FACTOR, the others' unchanged."""
    plain = engine.search(SearchRequest(q=NOTE, filters=TRIALS, size=100))
    patient = engine.search(SearchRequest(q=NOTE, mode="patient", size=100))
    assert plain.reading.shape == "description" and plain.reading.age is None
    r = patient.reading
    assert (r.age, r.sex, r.eligible_first) == (45.0, "male", True)
    assert "Neoplasms" in r.concepts  # "tumor": an entry term of the fixture MeSH
    assert patient.total == plain.total == len(patient.hits) > 10  # all listed, none hidden
    before = {h.id: h.score for h in plain.hits}
    excluded = 0
    for hit in patient.hits:
        if hit.id not in before:
            continue
        ok = admits(engine.get(hit.id), Demographics(45.0, "male"))
        excluded += not ok
        factor = 1.0 if ok else EXCLUDED_FACTOR
        assert hit.score == pytest.approx(before[hit.id] * factor, abs=2e-4)
    assert excluded > 0
    scores = [h.score for h in patient.hits]
    assert scores == sorted(scores, reverse=True)


def test_patient_mode_searches_trials_unless_told_otherwise(engine):
    page = engine.search(SearchRequest(q="melanoma in a 30-year-old woman", mode="patient"))
    assert page.hits and {h.type for h in page.hits} == {f.TRIAL}
    both = (("type", (f.TRIAL, f.ARTICLE)),)
    page = engine.search(
        SearchRequest(q="melanoma in a 30-year-old woman", mode="patient", filters=both, size=100)
    )
    assert {h.type for h in page.hits} == {f.TRIAL, f.ARTICLE}


def test_a_date_sort_keeps_its_order(engine):
    page = engine.search(SearchRequest(q=NOTE, mode="patient", sort="newest"))
    assert page.hits and all(h.score is None for h in page.hits)
    assert not page.reading.eligible_first
