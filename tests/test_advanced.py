"""The advanced search form (web/advanced.py) on the fixture index: what each box writes, the
redirect to an ordinary /search URL with the query in its search box, and the 400 sentences."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import lxml.html
import pytest
from werkzeug.datastructures import MultiDict

from search import InvalidRequest
from web.advanced import box_clause, terms_clause, write_query, year_value

MELANOMA_IL2 = 'condition:("melanoma") AND intervention:("aldesleukin")'


def page(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.data[-600:]
    return lxml.html.fromstring(response.data)


def target(client, query: str) -> tuple[str, list[tuple[str, str]]]:
    """Where /advanced/search?<query> redirects: (path, parameters in order)."""
    response = client.get("/advanced/search?" + query)
    assert response.status_code == 302, response.data[-600:]
    url = urlsplit(response.headers["Location"])
    return url.path, parse_qsl(url.query)


def message(client, query: str) -> str:
    doc = page(client, "/advanced/search?" + query, 400)
    return doc.xpath("string(//p[@class='message'])")


@pytest.mark.parametrize(
    ("field", "text", "clause"),
    [
        ("condition", "breast cancer", 'condition:("breast cancer")'),
        ("condition", "melanoma", 'condition:("melanoma")'),
        ("condition", 'melanoma OR "lung cancer"', 'condition:(melanoma OR "lung cancer")'),
        ("intervention", "immuno*", "intervention:(immuno*)"),
        ("location", "title:x", "location:(title:x)"),
    ],
)
def test_a_box_is_a_phrase_unless_it_has_logic_of_its_own(field, text, clause):
    assert box_clause(field, text, "Box") == clause


def test_other_terms_beside_other_boxes_require_every_word():
    assert terms_clause("overall survival") == "(overall AND survival)"
    assert terms_clause("survival") == "survival"
    assert terms_clause("a OR b") == "(a OR b)"


def test_the_boxes_are_anded_and_other_terms_alone_are_left_as_typed():
    args = MultiDict({"condition": " melanoma ", "intervention": "aldesleukin", "q": ""})
    assert write_query(args) == MELANOMA_IL2
    args["q"] = "overall survival"
    args["location"] = "Boston"
    assert write_query(args) == (
        'condition:("melanoma") AND intervention:("aldesleukin") AND (overall AND survival) '
        'AND location:("Boston")'
    )
    assert write_query(MultiDict({"q": "melanoma interleukin-2", "condition": ""})) == (
        "melanoma interleukin-2"
    )


def test_year_boxes_become_a_range_or_a_year_or_nothing():
    assert year_value(MultiDict({"start_year_from": "1995", "start_year_to": "1999"}),
                      "start_year") == "1995..1999"  # fmt: skip
    assert year_value(MultiDict({"pub_year_from": "2015"}), "pub_year") == "2015.."
    assert year_value(MultiDict({"pub_year_to": "1999"}), "pub_year") == "..1999"
    assert year_value(MultiDict({"pub_year_from": "2001", "pub_year_to": "2001"}),
                      "pub_year") == "2001"  # fmt: skip
    assert year_value(MultiDict({"pub_year_from": "", "pub_year_to": ""}), "pub_year") == ""
    assert year_value(MultiDict({"q": "x"}), "pub_year") is None  # no boxes: left as it is
    with pytest.raises(InvalidRequest, match="ends before it starts"):
        year_value(MultiDict({"pub_year_from": "2020", "pub_year_to": "2010"}), "pub_year")


def test_the_form_redirects_to_the_search_url_it_stands_for(client):
    path, params = target(
        client,
        "condition=melanoma&intervention=aldesleukin&q=&location=&country=United+States"
        "&status=COMPLETED&phase=PHASE2&eligible_sex=&start_year_from=1995&start_year_to=1999"
        "&pub_year_from=&pub_year_to=",
    )
    assert path == "/search"
    assert params == [
        ("q", MELANOMA_IL2),
        ("status", "COMPLETED"),
        ("phase", "PHASE2"),
        ("country", "United States"),
        ("start_year", "1995..1999"),
    ]


def test_the_results_show_the_written_query_in_the_search_box(client):
    response = client.get(
        "/advanced/search?condition=melanoma&intervention=aldesleukin&status=COMPLETED"
        "&phase=PHASE2&start_year_from=1995&start_year_to=1999",
        follow_redirects=True,
    )
    doc = lxml.html.fromstring(response.data)
    assert doc.xpath("string(//input[@id='q']/@value)") == MELANOMA_IL2
    assert doc.xpath("string(//*[@id='summary']//span[@class='total'])") == "2"
    hits = [a.get("href") for a in doc.xpath("//ol[@class='hits']//h2/a")]
    assert hits == ["/trial/NCT00002786", "/trial/NCT00003222"]
    chips = [c.text_content().strip() for c in doc.xpath("//a[@class='chip']")]
    assert "Start year: 1995\u20131999 ×" in chips


def test_female_means_trials_for_women_or_for_everyone(client):
    _, params = target(client, "q=melanoma&eligible_sex=female")
    assert params == [("q", "melanoma"), ("sex", "FEMALE"), ("sex", "ALL")]


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("start_year_from=19x5", "Start year from must be a year such as 2015, not '19x5'."),
        ("pub_year_from=2020&pub_year_to=2010",
         "Publication year: the range 2020 to 2010 ends before it starts."),
        ("status=RECRUITING&pub_year_from=2000",
         "No record has both a recruitment status (only trials have one) and a publication "
         "year (only articles have one): clear one of them."),
        ("type=mesh&start_year_from=2000",
         "No record has both the record type MeSH definitions and a start year (only trials "
         "have one): clear one of them."),
        ("condition=(melanoma", "Condition or disease: a parenthesis is not closed ((melanoma)."),
        ("eligible_sex=other", "eligible_sex must be female or male, not 'other'."),
        ("phase=2", "phase must be one of EARLY_PHASE1, PHASE1, PHASE2, PHASE3, PHASE4, NA, "
                    "not '2'."),
        ("colour=red", "Unknown parameter 'colour'"),
        ("q=the", "The query has nothing to search for (only stop words or NOT)."),
    ],
)  # fmt: skip
def test_a_form_that_cannot_be_a_search_is_a_400_with_a_sentence(client, query, sentence):
    assert message(client, query).startswith(sentence)


def test_the_form_lists_the_index_countries_and_every_choice(client):
    doc = page(client, "/advanced")
    countries = doc.xpath("//select[@name='country']/option/@value")
    assert countries[0] == "" and "United States" in countries and "Canada" in countries
    assert countries[1:] == sorted(countries[1:])
    assert doc.xpath("//input[@name='phase']/@value") == [
        "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"]  # fmt: skip
    assert "RECRUITING" in doc.xpath("//input[@name='status']/@value")
    assert doc.xpath("//input[@name='age']/@value") == ["child", "adult", "older_adult"]
    for name in ("condition", "intervention", "q", "location", "start_year_from",
                 "start_year_to", "pub_year_from", "pub_year_to"):  # fmt: skip
        (box,) = doc.xpath(f"//form[@class='advanced-form']//input[@name='{name}']")
        assert doc.xpath(f"//label[@for='{box.get('id')}']"), name  # every box has a label
    assert doc.xpath("//form[@action='/advanced/search'][@method='get']")


def test_the_form_is_filled_in_from_the_search_it_is_opened_from(client):
    doc = page(client, "/advanced?q=melanoma&status=COMPLETED&sex=FEMALE&sex=ALL"
                       "&start_year=1995..1999&country=Canada")  # fmt: skip
    assert doc.xpath("string(//input[@id='adv-q']/@value)") == "melanoma"
    assert doc.xpath("//input[@name='status'][@checked]/@value") == ["COMPLETED"]
    assert doc.xpath("//input[@name='eligible_sex'][@checked]/@value") == ["female"]
    assert doc.xpath("string(//input[@name='start_year_from']/@value)") == "1995"
    assert doc.xpath("string(//input[@name='start_year_to']/@value)") == "1999"
    assert doc.xpath("//select[@name='country']/option[@selected]/text()") == ["Canada"]


def test_home_and_results_pages_link_the_form(client):
    assert page(client, "/").xpath("//a[@href='/advanced']")
    doc = page(client, "/search?q=melanoma&type=trial")
    assert doc.xpath("//a[@href='/advanced?q=melanoma&type=trial']")


def test_the_form_refuses_a_search_it_cannot_fill_in_from(client):
    doc = page(client, "/advanced?start_year=abc", 400)
    assert doc.xpath("string(//p[@class='message'])").startswith(
        "start_year takes a year (2015) or a range of years"
    )
