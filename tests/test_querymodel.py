"""The query model (search/querymodel.py): shapes, negations, a patient's age and sex."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search import querymodel as qm

TOPICS = {
    json.loads(line)["_id"]: json.loads(line)["text"]
    for line in (Path(__file__).parent / "data" / "queries" / "trec_ct_2021_topics.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
}


@pytest.mark.parametrize(
    "text, shape",
    [
        ("melanoma", qm.KEYWORDS),
        ("breast cancer cells feed on", qm.QUESTION),
        ("Do statins reduce the risk of cancer?", qm.QUESTION),
        ("0-dimensional biomaterials lack inductive properties.", qm.QUESTION),
        ("Golli-deficient T-cells prefer to differentiate into an anti-inflammatory Th2 "
         "phenotype in the presence of IL-4.", qm.QUESTION),
        ("One. Two sentences here. And a third one.", qm.DESCRIPTION),
        (TOPICS["trec-20211"], qm.DESCRIPTION),
    ],
)  # fmt: skip
def test_shape_by_length_and_form(text, shape):
    assert qm.shape(text) == shape


@pytest.mark.parametrize(
    "text, age, sex",
    [
        (TOPICS["trec-20211"], 45.0, "male"),  # "a 45-year-old man"
        (TOPICS["trec-202111"], 75.0, "male"),  # "A 75 yo M"
        ("48 M with a h/o HTN", 48.0, "male"),
        ("This is a 44 year old female with PMH of PCOS", 44.0, "female"),
        ("A 6-month-old girl with fever", 0.5, "female"),
        ("Patient is a 55yo woman with h/o ESRD", 55.0, "female"),
        ("a newborn with jaundice", 0.0, ""),
        ("melanoma in a patient", None, ""),
    ],
)
def test_demographics(text, age, sex):
    assert qm.demographics(text) == qm.Demographics(age, sex)


def test_negated_stretches_end_at_the_clause():
    text = "He denies chest pain, but reports dyspnea. No history of diabetes or stroke. Fever."
    spans = [text[a:b] for a, b in qm.negated_spans(text)]
    assert spans == ["denies chest pain", "No history of diabetes or stroke"]
    kept = qm.without_negated(text)
    assert len(kept) == len(text)
    assert "dyspnea" in kept and "Fever" in kept
    assert "chest" not in kept and "diabetes" not in kept


def test_negation_scope_is_bounded():
    text = "without " + " ".join(f"w{i}" for i in range(20))
    (span,) = qm.negated_spans(text)
    assert text[span[0] : span[1]].split()[-1] == f"w{qm.NEGATION_SCOPE - 1}"
