"""web/views.py: the JSON API's exact shape, facets, paging, sorting, and the HTML pages."""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlsplit

import lxml.html
import pytest

HIT_KEYS = ["id", "type", "title", "url", "snippet", "score"]
TRIAL_KEYS = {"status", "phases", "study_type", "conditions", "start_date", "enrollment"}
ARTICLE_KEYS = {"journal", "date", "year", "authors", "publication_types"}


def api(client, **params) -> dict:
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    return response.get_json()


def page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    return lxml.html.fromstring(response.get_data(as_text=True))


def query_of(href: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(href).query)


# -- /api/search: the contract --------------------------------------------------------------
def test_api_search_has_exactly_the_contract_keys(client):
    data = api(client, q="melanoma")
    assert list(data) == [
        "total", "page", "size", "hits", "facets", "suggestion", "query", "partial", "more",
        "query_used", "corrected_from", "strong", "reading",
        "ranking",
    ]  # fmt: skip
    assert (data["page"], data["size"], data["suggestion"]) == (1, 10, None)
    assert (data["query_used"], data["corrected_from"]) == ("melanoma", None)
    assert data["total"] == sum(v["count"] for v in data["facets"]["type"]) > 10
    assert len(data["hits"]) == 10
    assert list(data["query"]) == ["parsed", "expanded"]
    assert "all:melanoma" in data["query"]["parsed"]
    assert data["query"]["expanded"] == [
        {"phrase": "melanoma", "ui": "D008545", "heading": "Melanoma", "mode": "synonyms",
         "narrower": 0}
    ]  # fmt: skip


def test_api_hits_flatten_the_type_specific_fields(client):
    hits = api(client, q="melanoma", size=50)["hits"]
    for hit in hits:
        assert list(hit)[:6] == HIT_KEYS
        assert hit["url"] == f"/{hit['type']}/{hit['id']}"
        assert isinstance(hit["score"], float)
    trial = next(h for h in hits if h["id"] == "NCT00002845")
    assert TRIAL_KEYS <= set(trial)
    assert trial["title"] == "Interleukin-2 in Treating Patients With Metastatic Melanoma"
    assert (trial["status"], trial["phases"], trial["start_date"]) == (
        "UNKNOWN",
        ["PHASE2"],
        "1995-09",
    )
    assert trial["conditions"] == ["Melanoma (Skin)"]
    article = next(h for h in hits if h["id"] == "426555")
    assert ARTICLE_KEYS <= set(article)
    assert article["journal"] == "Ann. Surg."
    assert article["date"] == "1979-02"
    assert article["authors"] == ["Kapelanski DP", "Block GE", "Kaufman M"]
    assert "<mark>" in article["snippet"]


def test_api_facets_are_lists_of_value_label_count_selected(client):
    facets = api(client, q="melanoma")["facets"]
    assert list(facets)[:3] == ["type", "status", "phase"]
    for values in facets.values():
        for v in values:
            assert list(v) == ["value", "label", "count", "selected"]
    labels = {v["value"]: v["label"] for v in facets["type"]}
    assert labels == {"trial": "Clinical trials", "article": "PubMed articles",
                      "mesh": "MeSH definitions"}  # fmt: skip
    trial = next(v for v in facets["type"] if v["value"] == "trial")
    assert trial == {"value": "trial", "label": "Clinical trials", "count": 4, "selected": False}
    ranked = [v["count"] for v in facets["type"]]
    assert ranked == sorted(ranked, reverse=True)


def counts(data: dict, facet: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in data["facets"][facet]}


def test_values_of_one_facet_are_ored(client):
    trials = api(client, q="melanoma", type="trial")
    articles = api(client, q="melanoma", type="article")
    both = client.get("/api/search?q=melanoma&type=trial&type=article").get_json()
    assert trials["total"] == 4
    assert both["total"] == trials["total"] + articles["total"]
    assert {h["type"] for h in both["hits"]} == {"trial", "article"}
    selected = {v["value"] for v in both["facets"]["type"] if v["selected"]}
    assert selected == {"trial", "article"}
    # a facet's own selection does not change its counts (multi-select)
    assert counts(both, "type") == counts(api(client, q="melanoma"), "type")


def test_facets_are_anded_and_counts_follow_the_other_facets(client):
    trials = api(client, q="melanoma", type="trial")
    assert counts(trials, "phase") == {"PHASE2": 3, "PHASE1": 2}
    narrowed = api(client, q="melanoma", type="trial", phase="PHASE2", size=50)
    assert narrowed["total"] == 3
    assert all(h["type"] == "trial" and "PHASE2" in h["phases"] for h in narrowed["hits"])
    assert counts(narrowed, "type") == {"trial": 3}
    either = client.get("/api/search?q=melanoma&phase=PHASE2&phase=PHASE1").get_json()
    assert either["total"] == 4  # NCT00002786 is Phase 1/Phase 2: counted once


def test_unknown_facet_value_matches_nothing_but_stays_selected(client):
    data = api(client, q="melanoma", status="NOT_A_STATUS")  # status is an open vocabulary
    assert (data["total"], data["hits"]) == (0, [])
    assert data["facets"]["status"][-1] == {
        "value": "NOT_A_STATUS", "label": "Not a status", "count": 0, "selected": True}  # fmt: skip
    assert counts(data, "status") == {"COMPLETED": 3, "UNKNOWN": 1, "NOT_A_STATUS": 0}


@pytest.mark.parametrize("path", ["/api/search", "/search", "/export/search.json"])
def test_a_value_outside_a_closed_facet_is_refused_with_the_values_it_can_take(client, path):
    response = client.get(path, query_string={"q": "melanoma", "phase": "PHASE9"})
    assert response.status_code == 400
    sentence = (
        "phase must be one of EARLY_PHASE1, PHASE1, PHASE2, PHASE3, PHASE4, NA, not 'PHASE9'."
    )
    assert sentence in html.unescape(response.get_data(as_text=True))
    assert client.get(path, query_string={"type": "trials"}).status_code == 400
    assert client.get(path, query_string={"age": "adult", "sex": "FEMALE"}).status_code == 200


def test_paging_walks_through_the_results_without_overlap(client):
    everything = api(client, q="melanoma", size=100)
    total, ids = everything["total"], [h["id"] for h in everything["hits"]]
    assert len(ids) == total
    pages = -(-total // 5)
    walked = []
    for n in range(1, pages + 1):
        data = api(client, q="melanoma", size=5, page=n)
        assert (data["page"], data["size"], data["total"]) == (n, 5, total)
        walked += [h["id"] for h in data["hits"]]
    assert walked == ids
    beyond = api(client, q="melanoma", size=5, page=pages + 1)
    assert (beyond["total"], beyond["hits"]) == (total, [])


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_by_date(client, sort):
    hits = api(client, q="melanoma", type="trial", sort=sort)["hits"]
    dates = [h["start_date"] for h in hits]
    assert dates == sorted(dates, reverse=sort == "newest")
    assert dates[0] == ("2000-09" if sort == "newest" else "1995-09")


def test_misspelling_gets_a_suggestion(client):
    data = api(client, q="melanomma", spell="off")
    assert (data["total"], data["suggestion"]) == (0, "melanoma")
    assert (data["query_used"], data["corrected_from"]) == ("melanomma", None)


@pytest.mark.parametrize(("expand", "modes"), [("none", []), ("explode", ["explode"])])
def test_expansion_mode(client, expand, modes):
    data = api(client, q="melanoma", expand=expand)
    assert [e["mode"] for e in data["query"]["expanded"]] == modes


def test_empty_query_browses_everything_the_filters_allow(client):
    everything = api(client)
    assert everything["total"] == sum(counts(everything, "type").values())
    assert api(client, type="trial")["total"] == counts(everything, "type")["trial"] == 25


# -- records and health ---------------------------------------------------------------------
def test_api_record_returns_the_stored_record(client):
    response = client.get("/api/records/NCT00002845")
    assert response.status_code == 200
    record = response.get_json()
    assert (record["type"], record["nct_id"], record["overall_status"]) == (
        "trial", "NCT00002845", "UNKNOWN")  # fmt: skip
    assert client.get("/api/records/D008545").get_json()["heading"] == "Melanoma"


def test_api_health(client, build_report):
    response = client.get("/api/health")
    assert response.status_code == 200
    browse = counts(api(client), "type")  # counted another way: the facet bitsets
    assert response.get_json() == {
        "status": "ok",
        "ranking": "bm25",  # the fixture index is built without vectors (tests/test_semantic.py)
        "counts": {"article": browse["article"], "mesh": browse["mesh"], "trial": 25},
        "snapshots": build_report["snapshots"],
        "built_at": build_report["built_at"],
        "updated_at": None,
    }


# -- HTML -----------------------------------------------------------------------------------
def test_home_page_has_a_labelled_search_box_and_the_index_contents(client, build_report):
    doc = page(client, "/")
    assert doc.xpath("//meta[@name='viewport']")
    form = doc.xpath("//form[@role='search']")[0]
    assert form.get("action") == "/search" and form.get("method") == "get"
    assert doc.xpath("//label[@for='q']") and doc.xpath("//input[@id='q'][@name='q']")
    assert doc.xpath("//main") and doc.xpath("//header") and doc.xpath("//footer")
    holdings = " ".join(doc.xpath("//ul[@class='counts']//text()")).split()
    n = client.get("/api/health").get_json()["counts"]
    assert holdings == [str(n["trial"]), "clinical", "trials", str(n["article"]), "pubmed",
                        "articles", str(n["mesh"]), "mesh", "definitions"]  # fmt: skip
    dates = doc.xpath("string(//dl[@class='dates'])")
    assert build_report["snapshots"]["ctgov"] in dates
    assert build_report["built_at"].replace("T", " ") in dates


def test_results_page_lists_hits_with_links_badges_fields_and_snippets(client):
    doc = page(client, "/search?q=melanoma&type=trial&size=50")
    assert doc.xpath("string(//h1[@id='summary'])").split() == ["Results", "1–4", "of", "4",
                                                                 "for", "melanoma"]  # fmt: skip
    hit = doc.xpath("//li[contains(@class,'hit')][.//a[@href='/trial/NCT00002845']]")[0]
    assert (
        hit.xpath("string(.//h2/a)")
        == "Interleukin-2 in Treating Patients With Metastatic Melanoma"
    )
    assert hit.xpath("string(.//span[contains(@class,'badge')])") == "Trial"
    meta = [" ".join(s.split()) for s in hit.xpath(".//p[@class='meta']/span/text()")]
    assert meta == ["NCT00002845", "Unknown status", "Phase 2", "Melanoma (Skin)", "Start"]
    assert hit.xpath("string(.//p[@class='meta']//time)") == "1995-09"
    assert hit.xpath(".//p[@class='snippet']/mark")  # snippet HTML is rendered, not escaped


def test_article_hits_show_journal_date_and_authors(client):
    doc = page(client, "/search?q=melanoma&type=article&size=50")
    hit = doc.xpath("//li[contains(@class,'hit')][.//a[@href='/article/426555']]")[0]
    assert hit.xpath("string(.//span[@class='journal'])") == "Ann. Surg."
    assert "Kapelanski DP, Block GE, Kaufman M" in hit.xpath("string(.//p[@class='meta'])")


def test_facet_links_toggle_their_value(client):
    doc = page(client, "/search?q=melanoma&type=trial")
    trial = doc.xpath("//a[@data-facet='type'][@data-value='trial']")[0]
    assert "on" in trial.get("class").split()
    assert query_of(trial.get("href")) == [("q", "melanoma")]  # selected: the link removes it
    article = doc.xpath("//a[@data-facet='type'][@data-value='article']")[0]
    assert "on" not in article.get("class").split()
    assert article.xpath("string(.//span[@class='count'])") == "12"
    assert query_of(article.get("href")) == [("q", "melanoma"), ("type", "trial"),
                                             ("type", "article")]  # fmt: skip
    phase2 = doc.xpath("//a[@data-facet='phase'][@data-value='PHASE2']")[0]
    assert " ".join(phase2.text_content().split()) == "Phase 2 3"
    assert query_of(phase2.get("href")) == [("q", "melanoma"), ("type", "trial"),
                                            ("phase", "PHASE2")]  # fmt: skip


def test_active_filters_are_chips_with_remove_links(client):
    doc = page(client, "/search?q=melanoma&type=trial&phase=PHASE2&sort=newest&page=1")
    chips = doc.xpath("//nav[@aria-label='Active filters']//a[@class='chip']")
    assert [" ".join(c.text_content().split()) for c in chips] == [
        "Record type: Clinical trials ×", "Phase: Phase 2 ×"]  # fmt: skip
    assert query_of(chips[1].get("href")) == [("q", "melanoma"), ("type", "trial"),
                                              ("sort", "newest")]  # fmt: skip
    mesh = page(client, "/search?q=melanoma&mesh=D008545").xpath("//a[@class='chip']")[0]
    assert " ".join(mesh.text_content().split()) == "MeSH descriptor: Melanoma ×"
    assert mesh.get("aria-label") == "Remove filter MeSH descriptor: Melanoma"
    clear = doc.xpath("//a[@class='clear']")[0]
    assert query_of(clear.get("href")) == [("q", "melanoma"), ("sort", "newest")]


def test_sort_links_mark_the_current_sort(client):
    doc = page(client, "/search?q=melanoma&sort=oldest&page=2")
    links = doc.xpath("//nav[@aria-label='Sort results']//a")
    assert [a.text_content() for a in links] == [
        "Relevance", "Newest", "Oldest", "Last updated (trials)",
    ]  # fmt: skip
    assert [a.get("aria-current") for a in links] == [None, None, "true", None]
    assert query_of(links[1].get("href")) == [("q", "melanoma"), ("sort", "newest")]


def test_paging_links(client):
    doc = page(client, "/search?q=melanoma&size=5&page=2")
    nav = doc.xpath("//nav[@aria-label='Result pages']")[0]
    assert [a.text_content().strip() for a in nav.xpath(".//a")] == [
        "‹ Previous", "1", "2", "3", "4", "Next ›"]  # fmt: skip
    assert nav.xpath(".//a[@aria-current='page']")[0].text_content() == "2"
    assert query_of(nav.xpath(".//a[@rel='next']")[0].get("href")) == [
        ("q", "melanoma"), ("size", "5"), ("page", "3")]  # fmt: skip
    assert doc.xpath("//ol[@class='hits']")[0].get("start") == "6"


def test_did_you_mean_links_to_the_suggestion(client):
    doc = page(client, "/search?q=melanomma&type=trial&spell=off")
    link = doc.xpath("//p[@class='suggestion']/a")[0]
    assert link.text_content() == "melanoma"
    assert query_of(link.get("href")) == [("q", "melanoma"), ("type", "trial")]


def test_search_details_show_the_parsed_query_and_the_expansion_switch(client):
    doc = page(client, "/search?q=melanoma&expand=explode")
    details = doc.xpath("//details[not(@id='filters-top')]")[0]
    assert details.get("open") is not None
    assert "mesh_tree:C04.557.665.510" in details.xpath("string(.//code[@class='parsed'])")
    switch = details.xpath(".//ul[@aria-label='MeSH expansion']//a")
    assert [a.text_content() for a in switch] == ["none", "synonyms", "explode"]
    assert [a.get("aria-current") for a in switch] == [None, None, "true"]
    assert query_of(switch[0].get("href")) == [("q", "melanoma"), ("expand", "none")]
    assert query_of(switch[1].get("href")) == [("q", "melanoma")]
    assert "Melanoma (D008545)" in " ".join(
        details.xpath("string(.//ul[@class='expansions'])").split()
    )


def test_pages_need_no_javascript_and_nothing_external(client):
    for url in ("/", "/search?q=melanoma"):
        body = client.get(url).get_data(as_text=True)
        assert "<script" not in body
        assert 'src="http' not in body and 'href="http' not in body
    with client.get("/static/style.css") as response:
        assert response.status_code == 200


def test_settings_come_from_defaults_then_environment_then_the_mapping(monkeypatch, index_dir):
    from web import create_app
    from web.settings import DEFAULTS, SETTINGS

    assert all(s.help for s in SETTINGS) and set(DEFAULTS) == {s.name for s in SETTINGS}
    monkeypatch.setenv("FLASK_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("FLASK_PAGE_SIZE", "3")
    app = create_app()
    assert (app.config["INDEX_DIR"], app.config["PAGE_SIZE"]) == (str(index_dir), 3)
    assert app.config["MAX_PAGE_SIZE"] == DEFAULTS["MAX_PAGE_SIZE"]
    data = app.test_client().get("/api/search?q=melanoma").get_json()
    assert (data["size"], len(data["hits"])) == (3, 3)
    assert create_app({"PAGE_SIZE": 7}).config["PAGE_SIZE"] == 7


def test_page_numbers_show_both_ends_and_a_window_around_the_current_page():
    from web.params import page_numbers

    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 5) == [1, 2, 3, 4, 5]  # a one-page gap is shown, not "..."
    assert page_numbers(7, 20) == [1, None, 5, 6, 7, 8, 9, None, 20]
    assert page_numbers(20, 20) == [1, None, 18, 19, 20]
