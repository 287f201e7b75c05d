"""Patient mode on the site and the API (web/views.py, web/params.py): the home page's box,
what was read shown on the results page and in the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html

TOPICS = Path(__file__).parent / "data" / "queries" / "trec_ct_2021_topics.jsonl"
NOTES = [json.loads(line)["text"] for line in TOPICS.read_text(encoding="utf-8").splitlines()]


def test_the_home_page_has_a_patient_box(client):
    doc = lxml.html.fromstring(client.get("/").get_data(as_text=True))
    (form,) = doc.xpath("//form[@class='patientbox']")
    assert form.get("action") == "/search"
    assert form.xpath(".//textarea[@name='q']/@id") == ["patient-q"]
    assert form.xpath(".//label[@for='patient-q']")
    assert form.xpath(".//input[@type='hidden'][@name='mode']/@value") == ["patient"]


def test_api_patient_mode_reports_what_it_read(client):
    data = client.get("/api/search", query_string={"q": NOTES[0], "mode": "patient"}).get_json()
    reading = data["reading"]
    assert (reading["shape"], reading["age"], reading["sex"]) == ("description", 45.0, "male")
    assert reading["eligible_first"] is True and reading["concepts"]
    assert data["total"] > 0 and {h["type"] for h in data["hits"]} == {"trial"}


def test_keywords_report_their_shape_only(client):
    reading = client.get("/api/search", query_string={"q": "melanoma"}).get_json()["reading"]
    assert reading == {
        "shape": "keywords", "concepts": [], "negated": [], "age": None, "sex": "",
        "eligible_first": False,
    }  # fmt: skip


def test_an_unknown_mode_is_a_400(client):
    data = client.get("/api/search", query_string={"q": "melanoma", "mode": "doctor"}).get_json()
    assert data == {"error": "mode must be one of patient, not 'doctor'.", "status": 400}


def test_every_pasted_note_is_answered(client):
    """Issue 17: TREC CT topics that were refused with a 400 (de-identified dates, bullets)."""
    for note in NOTES:
        for mode in ("patient", ""):
            response = client.get("/api/search", query_string={"q": note, "mode": mode})
            assert response.status_code == 200, response.get_json()
            assert response.get_json()["total"] > 0


def test_the_results_page_shows_the_patient_read(client):
    html = client.get("/search", query_string={"q": NOTES[0], "mode": "patient"})
    doc = lxml.html.fromstring(html.get_data(as_text=True))
    (section,) = doc.xpath("//section[@id='reading']")
    text = " ".join(section.text_content().split())
    assert "age 45, male" in text and "ranked first" in text
    assert doc.xpath("//header//input[@name='mode']/@value") == ["patient"]  # kept on a new search
    next_links = doc.xpath("//a[contains(@href, 'page=2')]/@href")
    assert all("mode=patient" in href for href in next_links)
