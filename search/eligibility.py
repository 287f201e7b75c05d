"""Patient mode: trials whose eligibility admits the patient's age and sex rank above those
that exclude them; no trial is hidden (search/querymodel.py reads the age and sex).

The best RERANK_DEPTH records of a search are read (their stored records: a trial's minimum
and maximum age and sex as ClinicalTrials.gov states them) and an excluding trial's score is
multiplied by EXCLUDED_FACTOR; a trial that states no limit, or a patient whose age or sex
the text does not give, is not excluded on that ground. Backends call `factors` with their
own way of reading a record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from search import fields as f
from search.models import Reading, SearchRequest
from search.querymodel import Demographics

RERANK_DEPTH = 300  # records read per patient search
# An excluding trial's score is multiplied by this. TREC CT 2021 (61 topics, nDCG@10 with
# 1 = excluded, 2 = eligible): 1.0 0.6596, 0.75 0.6645, 0.5 0.6554, 0.25 0.6445 (bench/evaluate.py)
EXCLUDED_FACTOR = 0.75
_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)", re.I)
_YEARS = {"year": 1.0, "month": 1 / 12, "week": 1 / 52, "day": 1 / 365, "hour": 1 / 8760}


def age_years(text: str) -> float | None:
    """'18 Years' -> 18.0; '6 Months' -> 0.5; '' or 'N/A' -> None."""
    m = _AGE.search(text or "")
    if not m:
        return None
    return float(m.group(1)) * _YEARS.get(m.group(2).lower(), 0.0)


def admits(record: dict[str, Any], patient: Demographics) -> bool:
    """Whether a record's eligibility admits the patient (records other than trials, and
    limits not stated on either side, admit)."""
    if record.get("type") != f.TRIAL:
        return True
    sex = str(record.get("sex") or "").upper()
    if patient.sex and sex in ("MALE", "FEMALE") and sex != patient.sex.upper():
        return False
    if patient.age is not None:
        low = age_years(str(record.get("minimum_age") or ""))
        high = age_years(str(record.get("maximum_age") or ""))
        if low is not None and patient.age < low:
            return False
        if high is not None and patient.age > high:
            return False
    return True


def factors(
    docs: Sequence[int], record_of: Callable[[int], dict[str, Any]], patient: Demographics
) -> dict[int, float]:
    """docnum -> score factor for the excluding trials among `docs` (the best first)."""
    if not patient:
        return {}
    return {d: EXCLUDED_FACTOR for d in docs[:RERANK_DEPTH] if not admits(record_of(d), patient)}


def patient_request(req: SearchRequest) -> SearchRequest:
    """A patient search looks for trials unless the request chose record types itself."""
    if req.mode != "patient" or req.selected("type"):
        return req
    return replace(req, filters=(*req.filters, ("type", (f.TRIAL,))))


def patient_of(req: SearchRequest, reading: Reading | None) -> Demographics:
    """The demographics a patient search ranks by (none outside patient mode or when the
    results are sorted by date)."""
    if req.mode != "patient" or reading is None or req.sort != "relevance":
        return Demographics()
    return Demographics(reading.age, reading.sex)
