"""web/items.py: the trial, article and MeSH pages, /api/records/<id>/related, and errors."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import lxml.html
import pytest

ITEM_KEYS = ["id", "type", "title", "url", "reason"]
MELANOMA_IL2 = ["NCT00006022", "NCT00002845", "NCT00002786"]


def page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/html"
    return lxml.html.fromstring(response.get_data(as_text=True))


def c(name: str) -> str:
    """XPath test for an element having the class `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def texts(doc, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


def hrefs(doc, xpath: str) -> list[str]:
    return [e.get("href") for e in doc.xpath(xpath)]


def search_total(client, href: str) -> int:
    """The total of the search a page links to, through the JSON twin of /search."""
    args = parse_qsl(urlsplit(href).query)
    assert urlsplit(href).path == "/search"
    return client.get("/api/search", query_string=args).get_json()["total"]


# -- trial page --------------------------------------------------------------------------------
def test_trial_page_shows_the_record(client):
    doc = page(client, "/trial/NCT00003222")
    [title] = texts(doc, "//h1")
    assert title == (
        "Vaccine Therapy Plus Interleukin-2 in Treating Patients With Stage III or Stage IV "
        "Melanoma"
    )
    assert doc.xpath("//title")[0].text.endswith("(NCT00003222)")
    meta = texts(doc, f"//header[{c('record-head')}]/p[{c('meta')}]")[0]
    assert meta.startswith("Completed") and "Phase 2" in meta and "Interventional" in meta
    assert "https://clinicaltrials.gov/study/NCT00003222" in hrefs(
        doc, f"//header[{c('record-head')}]//a"
    )
    facts = dict(
        zip(
            texts(doc, f"//dl[{c('facts')}]/dt"), texts(doc, f"//dl[{c('facts')}]/dd"), strict=False
        )
    )
    assert facts["Start"] == "1998-04"
    assert facts["Sponsor"] == "University of Virginia (Other)"
    assert facts["Collaborators"] == "National Cancer Institute (NCI)"
    assert facts["Ages"] == "18 Years to 79 Years"
    assert facts["Healthy volunteers"] == "Not accepted"
    design = dict(
        zip(
            texts(doc, "//table[@class='design']//th"),
            texts(doc, "//table[@class='design']//td"),
            strict=True,
        )
    )
    assert design == {
        "Allocation": "Randomized",
        "Intervention model": "Parallel",
        "Masking": "None",
        "Primary purpose": "Treatment",
    }
    # conditions and interventions link to their MeSH pages
    assert hrefs(doc, f"//dd[{c('mesh-terms')}]/a") == ["/mesh/D008545", "/mesh/D007376"]
    assert texts(doc, "//*[@id='h-locations']") == ["Locations (1)"]
    assert texts(doc, f"//ol[@class='references']//span[{c('tag')}]") == ["result"]


def test_trial_page_related_sections(client):
    doc = page(client, "/trial/NCT00003222")
    trials = doc.xpath("//*[@id='related-trials']//ol[@class='related-list']/li")
    assert [li.xpath(".//a")[0].get("href") for li in trials[:3]] == [
        f"/trial/{n}" for n in MELANOMA_IL2
    ]
    assert all(li.xpath(f".//p[{c('why')}]")[0].text_content().strip() for li in trials)
    assert texts(doc, "//*[@id='mesh-definitions']//dt/a") == ["Melanoma", "Interleukin-2"]
    assert texts(doc, "//*[@id='mesh-definitions']//dd")[0].startswith(
        "A malignant neoplasm derived"
    )
    assert hrefs(doc, "//*[@id='topics']//a")[0] == "/search?topic=C04"
    assert texts(doc, "//*[@id='topics']//a")[0] == "Neoplasms"


def test_trial_page_lists_explicit_links_first(client):
    doc = page(client, "/trial/NCT00003117")
    first = doc.xpath("//*[@id='related-articles']//ol[@class='related-list']/li")[0]
    assert first.xpath(".//a")[0].get("href") == "/article/32951293"
    assert " ".join(first.xpath(f".//p[{c('why')}]")[0].text_content().split()) == (
        "Linked names NCT00003117 in its abstract"
    )
    # references without an indexed article link to PubMed
    assert "https://pubmed.ncbi.nlm.nih.gov/15625373/" in hrefs(doc, "//ol[@class='references']//a")


def test_exports_are_linked_from_the_page(client):
    doc = page(client, "/trial/NCT00003117")
    assert hrefs(doc, f"//p[{c('exports')}]/a") == [
        "/export/record/NCT00003117.csv",
        "/export/record/NCT00003117.ris",
        "/export/record/NCT00003117.json",
        "/api/records/NCT00003117",
        "/api/records/NCT00003117/related",
    ]


# -- article page ------------------------------------------------------------------------------
def test_article_page(client):
    doc = page(client, "/article/32951293")
    assert texts(doc, "//h1")[0].startswith("Expanding Beyond Maximum Grade")
    assert "https://pubmed.ncbi.nlm.nih.gov/32951293/" in hrefs(
        doc, f"//header[{c('record-head')}]//a"
    )
    majors = texts(doc, "//ul[@class='mesh-headings']/li[@class='major']/a")
    assert majors == ["Carcinoma, Non-Small-Cell Lung", "Lung Neoplasms"]
    assert (
        hrefs(doc, "//*[@id='related-trials']//ol[@class='related-list']//a")[0]
        == "/trial/NCT00003117"
    )
    assert (
        hrefs(doc, "//*[@id='related-articles']//ol[@class='related-list']//a")[0]
        == "/article/21933749"
    )
    assert texts(doc, "//*[@id='mesh-definitions']//dt/a") == [
        "Carcinoma, Non-Small-Cell Lung",
        "Lung Neoplasms",
    ]


def test_article_page_shows_abstract_section_labels(client):
    doc = page(client, "/article/34091420")
    assert texts(doc, "//strong[@class='abstract-label']") == [
        "Background:",
        "Methods:",
        "Results:",
        "Conclusion:",
    ]
    assert texts(doc, "//p[@class='authors']")[0].startswith(
        "Helen Gogas, Reinhard Dummer, Paolo A Ascierto"
    )


# -- MeSH page ---------------------------------------------------------------------------------
def test_mesh_page(client):
    doc = page(client, "/mesh/D008545")
    assert texts(doc, "//h1") == ["Melanoma"]
    assert "Malignant Melanoma" in texts(doc, "//ul[@class='entry-terms']/li")
    trails = doc.xpath("//ol[@class='trail']")
    assert len(trails) == 3
    assert hrefs(trails[2], ".//a") == ["/mesh/D009369", "/mesh/D009370", "/mesh/D018326"]
    assert texts(doc, "//*[@id='related-trials']/h2") == ["Newest trials (4)"]


def test_mesh_page_counts_link_to_searches_with_the_same_totals(client):
    doc = page(client, "/mesh/D009369")
    counts = {a.get("data-count"): a for a in doc.xpath("//a[@data-count]")}
    expected = {"trials": 1, "articles": 1, "trials-narrower": 7, "articles-narrower": 11}
    for key, total in expected.items():
        a = counts[key]
        assert a.text_content().split()[0] == str(total)
        assert search_total(client, a.get("href")) == total
    for table in doc.xpath("//table[@class='counts-table']"):
        for row in table.xpath("./tbody/tr"):
            link = row.xpath(".//a")[0]
            count = int(row.xpath("./td")[0].text_content())
            assert search_total(client, link.get("href")) == count
    status = doc.xpath("//table[@data-facet='status']/tbody/tr")
    assert [r.text_content().split() for r in status] == [
        ["Completed", "6"],
        ["Unknown", "status", "1"],
    ]


# -- JSON --------------------------------------------------------------------------------------
def test_api_related_contract(client):
    response = client.get("/api/records/NCT00003117/related")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert list(data)[:3] == ["trials", "articles", "mesh"]
    for key in ("trials", "articles", "mesh"):
        for item in data[key]:
            assert list(item)[:5] == ITEM_KEYS
            assert item["url"] == f"/{item['type']}/{item['id']}" and item["reason"]
    first = data["articles"][0]
    assert first == {
        "id": "32951293",
        "type": "article",
        "title": first["title"],
        "url": "/article/32951293",
        "reason": "names NCT00003117 in its abstract",
        "explicit": True,
        "score": None,
    }
    assert data["mesh"][0]["id"] == "D008175" and data["mesh"][0]["scope_note"]
    assert data["totals"]["articles"] == 3 and data["explicit"]["articles"] == 1
    assert data["topics"][0] == {
        "value": "C04",
        "label": "Neoplasms",
        "category": "Diseases",
        "count": 31,
        "url": "/search?topic=C04",
    }


def test_api_related_counts_close_matches_and_links_the_search_for_more(client):
    data = client.get("/api/records/NCT00003117/related").get_json()
    assert data["totals"]["trials"] == 6 and data["strong"]["trials"] == 1
    assert data["strong"]["articles"] == 2 and data["strong"]["mesh"] == data["totals"]["mesh"]
    more = data["more"]["trials"]
    assert search_total(client, more) >= data["totals"]["trials"]
    assert parse_qsl(urlsplit(more).query)[-1] == ("type", "trial")
    mesh = client.get("/api/records/D008545/related").get_json()
    assert mesh["more"] == {"trials": None, "articles": None}
    assert mesh["strong"] == mesh["totals"]


def test_trial_page_shows_the_close_matches_and_a_search_for_more(client):
    doc = page(client, "/trial/NCT00003117")
    section = doc.xpath("//*[@id='related-trials']")[0]
    assert texts(section, ".//h2/span[@class='count']") == ["(1)"]
    assert [li.xpath(".//a")[0].get("href") for li in section.xpath(".//ol/li")] == [
        "/trial/NCT00462995"
    ]
    [more] = section.xpath(f".//p[{c('more-related')}]/a")
    assert more.text_content() == "Search for more trials"
    assert search_total(client, more.get("href")) >= 6


def test_api_related_limit(client):
    data = client.get("/api/records/NCT00003222/related?limit=2").get_json()
    assert [i["id"] for i in data["trials"]] == MELANOMA_IL2[:2]
    assert data["totals"]["trials"] > 2


@pytest.mark.parametrize("limit", ["0", "51", "x", "-1", "1e3", "９"])
def test_api_related_bad_limit_is_400(client, limit):
    response = client.get(f"/api/records/NCT00003222/related?limit={limit}")
    assert response.status_code == 400
    assert response.get_json()["status"] == 400


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["/trial/NCT99999999", "/article/99999999", "/mesh/D999999", "/trial/%3Cscript%3E"]
)
def test_unknown_records_are_404_pages(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "No record has the id" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/api/records/NCT99999999/related", "/api/records/x/related"])
def test_unknown_records_are_404_json(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json() == {"error": response.get_json()["error"], "status": 404}


@pytest.mark.parametrize(
    "url, target",
    [
        ("/trial/D008545", "/mesh/D008545"),
        ("/mesh/NCT00003117", "/trial/NCT00003117"),
        ("/article/NCT00003117", "/trial/NCT00003117"),
        ("/trial/32951293", "/article/32951293"),
    ],
)
def test_an_id_on_the_wrong_page_kind_redirects(client, url, target):
    response = client.get(url)
    assert response.status_code == 301
    assert response.headers["Location"] == target
