"""Snippets: best field, best sentences, HTML-escaped, only <mark> added."""

from __future__ import annotations

from search.snippets import make_snippet

TRIAL = {
    "type": "trial",
    "brief_summary": "RATIONALE: Drugs may stop tumor cells. PURPOSE: Phase II trial of "
    "interleukin-2 in patients with metastatic melanoma & <b>other</b> tumors.",
    "detailed_description": "",
    "conditions": ["Melanoma (Skin)"],
    "interventions": [{"type": "BIOLOGICAL", "name": "aldesleukin"}],
    "primary_outcomes": [],
    "eligibility_criteria": "Histologically proven melanoma.",
}


def test_marks_matches_in_the_best_sentence_and_escapes_everything_else():
    html = make_snippet(TRIAL, {"melanoma", "interleukin-2"})
    assert html.startswith(
        "RATIONALE: Drugs may stop tumor cells. PURPOSE: Phase II trial of "
        "<mark>interleukin-2</mark>"
    )
    assert "<mark>melanoma</mark> &amp; &lt;b&gt;other&lt;/b&gt;" in html
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_falls_back_to_another_field_when_it_matches_more():
    html = make_snippet(TRIAL, {"aldesleukin"})
    assert html == "Interventions: <mark>aldesleukin</mark>"


def test_article_sections_keep_their_labels():
    article = {
        "type": "article",
        "abstract": [
            {"label": "BACKGROUND", "category": "", "text": "Nothing here."},
            {"label": "RESULTS", "category": "", "text": "IL-6 levels rose."},
        ],
        "keywords": [],
    }
    assert make_snippet(article, {"il-6"}) == "Results: <mark>IL-6</mark> levels rose."


def test_no_match_gives_the_start_of_the_summary():
    html = make_snippet(TRIAL, {"zebra"})
    assert html.startswith("RATIONALE: Drugs may stop tumor cells.")


def test_long_text_shows_the_sentences_with_the_most_query_words():
    filler = "Patients were followed for several years in the clinic. " * 12
    record = {
        "type": "mesh",
        "scope_note": filler + "Melanoma responds to interleukin-2. " + filler,
        "entry_terms": [],
    }
    html = make_snippet(record, {"melanoma", "interleukin-2"})
    assert "<mark>Melanoma</mark> responds to <mark>interleukin-2</mark>." in html
    assert html.startswith("… ") and html.endswith(" …") and len(html) < 400
