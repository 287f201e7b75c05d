"""web/listing.py and the results page around the hits: the heading ("Results 11–20 of 510"),
the quotes of a phrase query, the tips of a page with no results, and the search details in
words with the engine's syntax behind a disclosure."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import lxml.html
from flask import render_template

from search import SearchEngine, SearchRequest, explain
from web.listing import heading, tips
from web.params import SearchUrls


def page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    return lxml.html.fromstring(response.get_data(as_text=True))


def words(element) -> str:
    return " ".join(element.text_content().split())


def test_the_heading_says_which_results_of_how_many(client):
    doc = page(client, "/search?q=cancer&size=5&page=3")
    total = client.get("/api/search?q=cancer").get_json()["total"]
    assert words(doc.xpath("//h1[@id='summary']")[0]) == f"Results 11–15 of {total} for cancer"
    last = -(-total // 5)
    doc = page(client, f"/search?q=cancer&size=5&page={last}")
    first = (last - 1) * 5 + 1
    assert words(doc.xpath("//h1")[0]) == f"Results {first}–{total} of {total} for cancer"
    assert words(page(client, "/search?type=trial").xpath("//h1")[0]) == "Results 1–10 of 25"


def test_the_heading_counts_the_partial_matches_listed_after_the_full_ones(client):
    data = client.get("/api/search?q=melanoma+interleukin-2").get_json()
    full, more = data["total"], data["more"]
    assert (full, more > 0) == (4, True)
    doc = page(client, "/search?q=melanoma+interleukin-2&size=2")  # full matches only
    assert words(doc.xpath("//h1")[0]) == (
        f"Results 1–2 of 4 for melanoma interleukin-2, then {more} with only some of the words"
    )
    doc = page(client, "/search?q=melanoma+interleukin-2")  # the page reaches the partial ones
    assert words(doc.xpath("//h1")[0]) == (
        f"Results 1–10 of {full + more} for melanoma interleukin-2: 4 with all of the words, "
        f"then {more} with only some"
    )


def test_a_phrase_query_is_not_put_in_quotes_twice(client):
    doc = page(client, "/search?q=%22breast+cancer%22")
    h1 = doc.xpath("//h1")[0]
    assert words(h1) == 'Results 1–2 of 2 for "breast cancer"'
    assert not h1.xpath(".//q")  # <q> would add quotation marks around the user's own
    assert page(client, "/search?q=breast+cancer").xpath("//h1//q/text()") == ["breast cancer"]


def test_thousands_get_separators(app, index_dir):
    engine = SearchEngine(index_dir)
    found = engine.search(SearchRequest(q="cancer", size=10, page=2))
    big = replace(found, total=12_345)  # the same page, as if the index were larger
    with app.test_request_context("/search?q=cancer&page=2"):
        urls = SearchUrls("/search", big.request, 10)
        html = render_template("search.html", page=big, req=big.request, urls=urls,
                               page_numbers=[], chips=[], sorts=[], expansions=[],
                               heading=heading(big), explanation=explain(big),
                               no_result_tips=[])  # fmt: skip
    doc = lxml.html.fromstring(html)
    assert words(doc.xpath("//h1")[0]) == "Results 11–20 of 12,345 for cancer"


def test_no_results_gives_tips_each_link_removing_one_thing(client):
    doc = page(client, "/search?q=%22melanoma+trial%22&type=mesh&phase=PHASE2&expand=none")
    assert words(doc.xpath("//h1")[0]) == '0 results for "melanoma trial"'
    items = doc.xpath("//section[@id='tips']//li")
    assert [words(li) for li in items] == [
        "Check the spelling of your words.",
        "Search for melanoma trial without quotes, so the words need not stand together.",
        "Use fewer words, or more general ones.",
        "Search all record types, not only MeSH definitions.",
        "Remove the filter Phase: Phase 2.",
        "Remove all filters at once.",
        "Switch MeSH expansion on, to match MeSH synonyms of your words too.",
    ]
    links = [parse_qsl(urlsplit(li.xpath(".//a/@href")[0]).query) if li.xpath(".//a") else None
             for li in items]  # fmt: skip
    assert links == [
        None,
        [("q", "melanoma trial"), ("type", "mesh"), ("phase", "PHASE2"), ("expand", "none")],
        None,
        [("q", '"melanoma trial"'), ("phase", "PHASE2"), ("expand", "none")],
        [("q", '"melanoma trial"'), ("type", "mesh"), ("expand", "none")],
        [("q", '"melanoma trial"'), ("expand", "none")],
        [("q", '"melanoma trial"'), ("type", "mesh"), ("phase", "PHASE2")],
    ]


def test_a_misspelling_with_a_suggestion_tips_the_suggestion(client):
    doc = page(client, "/search?q=lymfoma")
    first = doc.xpath("//section[@id='tips']//li")[0]
    assert words(first) == "Check the spelling: did you mean lymphoma?"
    assert first.xpath(".//a/@href") == ["/search?q=lymphoma"]
    assert not page(client, "/search?q=melanoma").xpath("//section[@id='tips']")


def test_tips_for_a_type_filter_of_several_types_remove_each(index_dir):
    engine = SearchEngine(index_dir)
    req = SearchRequest(q="xyzzyqq", filters=(("type", ("trial", "mesh")),))
    found = engine.search(req)
    urls = SearchUrls("/search", req, 10)
    chips = [("type", "trial", "Record type: Clinical trials"),
             ("type", "mesh", "Record type: MeSH definitions")]  # fmt: skip
    got = [(t.text.format(t.link), t.href) for t in tips(found, urls, chips)][1:3]
    assert got == [
        ("Remove the filter Record type: Clinical trials.", "/search?q=xyzzyqq&type=mesh"),
        ("Remove the filter Record type: MeSH definitions.", "/search?q=xyzzyqq&type=trial"),
    ]


def test_search_details_in_words_and_the_syntax_behind_a_disclosure(client):
    doc = page(client, "/search?q=melanoma+interleukin-2&expand=none")
    more = client.get("/api/search?q=melanoma+interleukin-2&expand=none").get_json()["more"]
    details = doc.xpath("//details[@class='details']")[0]
    said = [words(p) for p in details.xpath(".//dd[@class='explained']/p")]
    assert said == [
        "Trials, articles and MeSH descriptors matching melanoma AND interleukin-2.",
        "A record must match both concepts.",
        f"After those, {more} records matching only some of the words, ranked lower.",
        "MeSH expansion is off: only the words as typed are searched.",
    ]
    syntax = details.xpath(".//details[@class='syntax']")[0]
    assert syntax.get("open") is None  # closed until asked for
    assert words(syntax.xpath("./summary")[0]) == "The query in the engine's syntax"
    assert "all:melanoma" in syntax.xpath("string(.//code[@class='parsed'])")
