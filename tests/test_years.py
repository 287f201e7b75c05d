"""Year facets cover every year of a result set (decades on the page, a from/to range), year
ranges as facet values (`start_year=1995..1999`) on both backends, and `all_values` for the
facets whose values are cut (search/facets.py, web/years.py, web/params.py)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import lxml.html
import pytest
from test_xapian import reader, whoosh  # noqa: F401 (fixtures)

from search import InvalidRequest, SearchRequest

TRIAL = (("type", ("trial",)),)
START_YEARS = [
    "2022",
    "2020",
    "2019",
    "2016",
    "2011",
    "2007",
    "2006",
    "2004",
    "2002",
    "2000",
    "1999",
    "1998",
    "1997",
    "1995",
    "1985",
]  # fmt: skip (every start year of the fixtures)


def values(page, facet: str) -> dict[str, tuple[int, bool]]:
    (f,) = [f for f in page.facets if f.name == facet]
    return {v.value: (v.count, v.selected) for v in f.values}


def facet(page, name: str):
    return next(f for f in page.facets if f.name == name)


@pytest.mark.parametrize("backend", ["whoosh", "xapian"])
def test_a_year_facet_lists_every_year_of_the_set(backend, request):
    engine = request.getfixturevalue("whoosh" if backend == "whoosh" else "reader")
    page = engine.search(SearchRequest(filters=TRIAL))  # more start years than FACET_LIMIT (12)
    years = facet(page, "start_year")
    assert [v.value for v in years.values] == START_YEARS
    assert not years.truncated
    assert facet(page, "country").truncated  # the other facets are still cut at 12


@pytest.mark.parametrize(
    ("selected", "total", "inside"),
    [
        ("1995..1999", 7, {"1999", "1998", "1997", "1995"}),
        ("2000..", 17, {"2022", "2020", "2019", "2016", "2011", "2007", "2006", "2004", "2002",
                        "2000"}),
        ("..1995", 3, {"1995", "1985"}),
    ],
)  # fmt: skip
def test_a_range_of_years_filters_on_both_backends(reader, whoosh, selected, total, inside):  # noqa: F811
    req = SearchRequest(filters=(("start_year", (selected,)),))
    mine, theirs = reader.search(req), whoosh.search(req)
    assert mine.total == theirs.total == total
    assert [h.id for h in mine.hits] == [h.id for h in theirs.hits]
    listed = values(theirs, "start_year")
    assert values(mine, "start_year") == listed
    assert {v for v, (_, on) in listed.items() if on} == inside
    assert selected not in listed  # the range is no value of its own
    years = values(whoosh.search(SearchRequest(filters=TRIAL)), "start_year")
    assert total == sum(n for v, (n, _) in years.items() if v in inside)


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        ("abc", "start_year takes a year (2015) or a range of years"),
        ("..", "start_year takes a year (2015) or a range of years"),
        ("0000..", "start_year takes a year (2015) or a range of years"),
        ("2020..2010", "The start_year range 2020..2010 ends before it starts."),
    ],
)
def test_a_year_facet_refuses_what_is_no_year(whoosh, value, sentence):  # noqa: F811
    with pytest.raises(InvalidRequest, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        whoosh.search(SearchRequest(filters=(("start_year", (value,)),)))


def test_all_values_lists_every_value_of_one_facet(reader, whoosh):  # noqa: F811
    for engine in (whoosh, reader):
        page = engine.search(SearchRequest(filters=TRIAL, all_values="country"))
        countries = facet(page, "country")
        assert len(countries.values) == 19 and not countries.truncated
        assert facet(page, "mesh").truncated  # only the one asked for


def html(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.data[-500:]
    return lxml.html.fromstring(response.data)


def params(href: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(href).query)


def test_the_results_page_shows_year_facets_as_decades(client):
    doc = html(client, "/search?type=trial")
    rows = doc.xpath("//aside//section[@aria-labelledby='facet-start_year']/ul/li/a")
    assert [(a.get("data-value"), a.xpath("string(.//span[@class='count'])")) for a in rows] == [
        ("2020..2029", "2"), ("2010..2019", "3"), ("2000..2009", "12"), ("1990..1999", "7"),
        ("1980..1989", "1")]  # fmt: skip
    assert params(rows[3].get("href")) == [("type", "trial"), ("start_year", "1990..1999")]


def test_a_selected_decade_lists_its_years_and_a_year_leads_back_to_it(client):
    doc = html(client, "/search?type=trial&start_year=1990..1999")
    section = doc.xpath("//aside//section[@aria-labelledby='facet-start_year']")[0]
    (decade,) = section.xpath(".//a[@data-value='1990..1999']")
    assert "on" in decade.get("class").split()
    assert params(decade.get("href")) == [("type", "trial")]  # selected: the link removes it
    years = section.xpath(".//ul[@class='in-decade']/li/a")
    assert [a.get("data-value") for a in years] == ["1999", "1998", "1997", "1995"]
    assert params(years[-1].get("href")) == [("type", "trial"), ("start_year", "1995")]
    doc = html(client, "/search?type=trial&start_year=1995")
    (year,) = doc.xpath("//aside//a[@data-facet='start_year'][@data-value='1995']")
    assert params(year.get("href")) == [("type", "trial"), ("start_year", "1990..1999")]
    assert doc.xpath("string(//*[@id='summary']//span[@class='total'])") == "2"


def test_the_year_range_form_keeps_the_search_and_sets_the_range(client):
    doc = html(client, "/search?q=cancer&type=trial&start_year=2000..2009&sort=newest")
    (form,) = doc.xpath("//aside//section[@aria-labelledby='facet-start_year']//form")
    assert form.get("action") == "/advanced/search" and form.get("method") == "get"
    hidden = [(i.get("name"), i.get("value")) for i in form.xpath(".//input[@type='hidden']")]
    assert hidden == [("q", "cancer"), ("type", "trial"), ("sort", "newest")]
    assert form.xpath("string(.//input[@name='start_year_from']/@value)") == "2000"
    assert form.xpath("string(.//input[@name='start_year_to']/@value)") == "2009"
    response = client.get("/advanced/search?q=cancer&type=trial&sort=newest"
                          "&start_year_from=1995&start_year_to=")  # fmt: skip
    assert response.status_code == 302
    assert params(response.headers["Location"]) == [
        ("q", "cancer"),
        ("type", "trial"),
        ("start_year", "1995.."),
        ("sort", "newest"),
    ]
    chips = html(client, response.headers["Location"]).xpath("//a[@class='chip']")
    assert [c.text_content().strip() for c in chips] == [
        "Record type: Clinical trials ×", "Start year: 1995 or later ×"]  # fmt: skip


def test_more_values_are_a_link_to_all_of_them(client):
    doc = html(client, "/search?type=trial")
    assert "More values are not listed" not in doc.text_content()
    (more,) = doc.xpath("//aside//section[@aria-labelledby='facet-country']//p[@class='more']/a")
    assert more.text_content() == "All country values"
    assert more.get("href") == "/search?type=trial&all_values=country#facet-country"
    doc = html(client, more.get("href"))
    assert len(doc.xpath("//aside//a[@data-facet='country']")) == 19
    (fewer,) = doc.xpath("//aside//section[@aria-labelledby='facet-country']//p[@class='more']/a")
    assert fewer.get("href") == "/search?type=trial#facet-country"
    api = client.get("/api/search?type=trial&all_values=country").get_json()
    assert len(api["facets"]["country"]) == 19 and len(api["facets"]["start_year"]) == 15


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("/search?start_year=199", "start_year takes a year (2015) or a range of years"),
        ("/api/search?pub_year=2020..2010", "The pub_year range 2020..2010 ends before it starts."),
        ("/search?all_values=colour", "all_values must be one of type, status, phase"),
    ],
)  # fmt: skip
def test_bad_year_and_all_values_parameters_are_a_400(client, url, sentence):
    response = client.get(url)
    assert response.status_code == 400
    text = (
        response.get_json()["error"]
        if url.startswith("/api/")
        else lxml.html.fromstring(response.data).xpath("string(//p[@class='message'])")
    )
    assert text.startswith(sentence)


def test_listing_limits_are_bounded():
    from search.facets import ALL_VALUES, BY_NAME, YEAR_VALUES, facet_limit

    configured = {"mesh": 12, "country": 12}
    assert facet_limit(BY_NAME["mesh"], SearchRequest(), configured) == 12
    assert facet_limit(BY_NAME["mesh"], SearchRequest(all_values="mesh"), configured) == 500
    assert facet_limit(BY_NAME["country"], SearchRequest(all_values="mesh"), configured) == 12
    assert facet_limit(BY_NAME["start_year"], SearchRequest(), configured) == YEAR_VALUES
    assert ALL_VALUES == 500 and YEAR_VALUES == 400
