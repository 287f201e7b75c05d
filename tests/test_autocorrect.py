"""search/autocorrect.py: a confident spelling correction is searched at once, on the fixture
index; each rule of "confident" is tested on both of its sides."""

from __future__ import annotations

from dataclasses import replace

import pytest

from search import SearchEngine, SearchRequest
from search.autocorrect import FEW, MIN_RESULTS, RATIO, confident, near, replaced_words


@pytest.fixture(scope="module")
def engine(index_dir):
    return SearchEngine(index_dir)


def trial_filter() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return (("type", ("trial",)),)


def test_a_misspelling_that_finds_nothing_shows_the_correction_s_results(engine):
    typed = engine.search(SearchRequest(q="melenoma", spell="off"))
    assert (typed.total, typed.suggestion, typed.corrected) == (0, "melanoma", None)
    page = engine.search(SearchRequest(q="melenoma"))
    fixed = engine.search(SearchRequest(q="melanoma"))
    assert page.corrected == "melanoma"
    assert page.request.q == "melenoma"  # the page's links keep the words as typed
    assert page.total == fixed.total > 0
    assert [h.id for h in page.hits] == [h.id for h in fixed.hits]


def test_filters_and_paging_apply_to_the_correction(engine):
    page = engine.search(SearchRequest(q="melanomma", filters=trial_filter(), size=2, page=2))
    fixed = engine.search(SearchRequest(q="melanoma", filters=trial_filter(), size=2, page=2))
    assert page.corrected == "melanoma" and page.total == fixed.total == 4
    assert [h.id for h in page.hits] == [h.id for h in fixed.hits]


def test_rule_1_spell_off_searches_the_words_as_typed(engine):
    page = engine.search(SearchRequest(q="melenoma", spell="off"))
    assert page.corrected is None and page.total == 0


def test_rule_2_words_that_find_enough_are_not_replaced(engine):
    # "assessed" is no word of the spelling vocabulary (titles, conditions, MeSH), so it gets
    # a suggestion, but 21 records hold it: it stays.
    page = engine.search(SearchRequest(q="assessed"))
    assert (page.suggestion, page.corrected) == ("assisted", None)
    assert page.total > FEW


def test_rule_3_a_correction_too_far_from_the_word_stays_a_suggestion(engine):
    page = engine.search(SearchRequest(q="cencr"))  # two edits from "cancer", five letters
    assert (page.total, page.suggestion, page.corrected) == (0, "cancer", None)
    page = engine.search(SearchRequest(q="lymfoma"))
    assert (page.suggestion, page.corrected) == ("lymphoma", None)
    # "specified" finds a record: a word of the records, corrected only one edit away
    page = engine.search(SearchRequest(q="specified"))
    assert (page.total, page.suggestion, page.corrected) == (1, "specific", None)


def test_rule_4_the_correction_must_find_enough(engine):
    assert engine.search(SearchRequest(q="infarction")).total == MIN_RESULTS
    assert engine.search(SearchRequest(q="infarktion")).corrected == "infarction"
    mesh = (("type", ("mesh",)),)  # with this filter the correction finds too few
    assert engine.search(SearchRequest(q="infarction", filters=mesh)).total < MIN_RESULTS
    page = engine.search(SearchRequest(q="infarktion", filters=mesh))
    assert (page.suggestion, page.corrected) == ("infarction", None)


def test_each_word_of_a_longer_query_is_corrected(engine):
    page = engine.search(SearchRequest(q="melanomma interleukn"))
    assert page.corrected == "melanoma interleukin"
    assert page.total == engine.search(SearchRequest(q="melanoma interleukin")).total == 4
    assert not page.partial


def test_confident_at_the_boundaries(engine):
    as_typed = engine.search(SearchRequest(q="melenoma", spell="off"))
    typed = replace(as_typed, request=replace(as_typed.request, spell="auto"))
    fixed = engine.search(SearchRequest(q="melanoma"))
    assert confident(typed, fixed)
    assert not confident(as_typed, fixed)  # spell=off
    assert confident(replace(typed, total=1), replace(fixed, total=RATIO))
    assert not confident(replace(typed, total=1), replace(fixed, total=RATIO - 1))
    assert confident(replace(typed, total=FEW), replace(fixed, total=RATIO * FEW))
    assert not confident(replace(typed, total=FEW + 1), replace(fixed, total=1000))
    assert confident(replace(typed, total=50, partial=True), fixed)  # partial matches: none
    assert not confident(typed, replace(fixed, partial=True))
    assert confident(typed, replace(fixed, total=MIN_RESULTS))
    assert not confident(typed, replace(fixed, total=MIN_RESULTS - 1))
    assert not confident(replace(typed, suggestion=None), fixed)


@pytest.mark.parametrize(
    ("typed", "suggestion", "found", "expected"),
    [("melenoma", "melanoma", 0, True), ("infarktion", "infarction", 0, True),
     ("mealnoma", "melanoma", 0, True),  # 8 letters: two edits
     ("mealnoma", "melanoma", 1, False),  # ... but one only when the words find a record
     ("cencr", "cancer", 0, False), ("lymfoma", "lymphoma", 0, False),
     ("Melanomma IL-2", "melanoma IL-2", 0, True), ("melanoma", "melanoma", 0, False)],
)  # fmt: skip
def test_near(typed, suggestion, found, expected):
    assert near(typed, suggestion, found) is expected


def test_replaced_words_pairs_the_changed_words():
    assert replaced_words("Melanomma IL-2 tretment", "melanoma IL-2 treatment") == [
        ("melanomma", "melanoma"), ("tretment", "treatment")]  # fmt: skip
    assert replaced_words("covid vaccine", "covid-19 vaccine") is None  # not word for word


def test_api_reports_the_correction(client):
    data = client.get("/api/search?q=melenoma").get_json()
    assert (data["query_used"], data["corrected_from"]) == ("melanoma", "melenoma")
    assert data["total"] == client.get("/api/search?q=melanoma").get_json()["total"] > 0
    data = client.get("/api/search?q=melenoma&spell=off").get_json()
    assert (data["total"], data["suggestion"]) == (0, "melanoma")
    assert (data["query_used"], data["corrected_from"]) == ("melenoma", None)
    bad = client.get("/api/search?q=melenoma&spell=maybe")
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "spell must be one of auto, off, not 'maybe'."


def test_the_page_shows_the_correction_and_links_to_the_words_as_typed(client):
    import lxml.html

    doc = lxml.html.fromstring(client.get("/search?q=melenoma&type=trial").get_data(as_text=True))
    note = doc.xpath("//p[@id='corrected']")[0]
    assert " ".join(note.text_content().split()) == (
        "Showing results for melanoma; search instead for melenoma"
    )
    assert note.xpath("./a/@href") == ["/search?q=melenoma&type=trial&spell=off"]
    assert "for melanoma" in " ".join(doc.xpath("string(//h1)").split())
    pages = [a.get("href") for a in doc.xpath("//a[@data-facet='type']")]
    assert all("q=melenoma" in href for href in pages)  # links keep what was typed
    typed = lxml.html.fromstring(client.get(note.xpath("./a/@href")[0]).get_data(as_text=True))
    assert not typed.xpath("//p[@id='corrected']")
    assert typed.xpath("string(//p[@class='suggestion'])") == "Did you mean melanoma?"
