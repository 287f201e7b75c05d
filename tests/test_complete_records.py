"""Complete records on the pages and in the API (issue 14): a trial's posted results, its
secondary outcomes and its sites by country, the country facet; an article's volume, issue
and pages (page, CSV, RIS) and its abstract's NCT ids as links; MeSH definitions of the
interventions; MeSH facet values by name. On `records_index` (tests/data/records/README.md)."""

from __future__ import annotations

import csv
import io

import lxml.html

NCT = "NCT02856893"  # posted results, 8 secondary outcomes, 23 sites in 6 countries


def page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return lxml.html.fromstring(response.get_data(as_text=True))


def texts(doc, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


# -- trials --------------------------------------------------------------------------------------
def test_trial_page_lists_every_secondary_outcome(records_client):
    doc = page(records_client, f"/trial/{NCT}")
    assert texts(doc, "//h2[@id='h-secondary-outcomes']") == ["Secondary outcomes (8)"]
    measures = texts(doc, "//li[@class='outcome-secondary']/strong")
    assert len(measures) == 8
    assert measures[0] == "PFS While Receiving Osimertinib by RECIST Criteria 1.1"


def test_trial_page_shows_posted_results(records_client):
    doc = page(records_client, f"/trial/{NCT}")
    (flow,) = doc.xpath("//section[@id='results']//table[caption='Overall Study']")
    assert texts(flow, ".//tbody/tr[1]/*") == ["STARTED", "53", "52", "51"]
    outcomes = doc.xpath("//div[@class='outcome-result']")
    assert len(outcomes) == 9
    assert texts(outcomes[0], ".//h4") == ["Primary PFS Rate at 18 Months"]
    assert texts(outcomes[0], ".//tbody/tr[2]/td") == [
        "51.1 (40.2 to 61.0)",
        "67.2 (56.4 to 75.9)",
        "53.5 (42.3 to 63.5)",
    ]
    (affected,) = doc.xpath("//table[caption='Participants affected']")
    assert texts(affected, ".//tbody/tr/th") == [
        "Serious adverse events",
        "Other adverse events",
        "Deaths (all causes)",
    ]
    assert texts(affected, ".//tbody/tr[1]/td") == ["9/53", "6/52", "13/51"]
    (serious,) = doc.xpath("//table[caption='Serious adverse events']")
    assert len(serious.xpath(".//tbody/tr")) == 35


def test_trial_page_says_what_was_cut(records_client):
    doc = page(records_client, f"/trial/{NCT}")
    (other,) = doc.xpath("//details[@class='other-events']")
    assert len(other.xpath(".//tbody/tr")) == 40
    assert "The first 40 of 90 rows" in " ".join(texts(other, ".//p[@class='shown']"))


def test_legacy_xml_results_on_the_page(client):
    doc = page(client, "/trial/NCT00003222")
    (totals,) = doc.xpath("//table[caption='Participants affected']")
    assert texts(totals, ".//tbody/tr[1]/*") == ["Serious adverse events", "0/10", "5/27"]
    assert len(doc.xpath("//div[@class='outcome-result']")) == 3
    assert "p = 0.004; Chi-squared" in texts(doc, "//ul[@class='analyses']/li")


def test_a_trial_without_results_has_no_results_section(client):
    doc = page(client, "/trial/NCT00002845")
    assert not doc.xpath("//section[@id='results']")


def test_locations_grouped_by_country_with_site_status(records_client, client):
    doc = page(records_client, f"/trial/{NCT}")
    assert texts(doc, "//section[@id='locations']//h3[@class='country']") == [
        "Belgium (1)",
        "France (10)",
        "Jordan (1)",
        "Poland (1)",
        "Slovenia (2)",
        "Spain (8)",
    ]
    doc = page(client, "/trial/NCT00499317")
    sites = texts(doc, "//section[@id='locations']//li")
    assert sites[0] == "Boston Children's Hospital (BCH), Boston, Massachusetts Recruiting"


def test_country_facet_in_the_api_and_as_a_filter(records_client):
    facets = records_client.get("/api/search?q=osimertinib").get_json()["facets"]
    countries = {v["value"]: v["count"] for v in facets["country"]}
    assert countries["France"] >= 1 and countries["Jordan"] == 1
    data = records_client.get("/api/search?q=osimertinib&country=Jordan").get_json()
    assert [h["id"] for h in data["hits"]] == [NCT]
    doc = page(records_client, "/search?q=osimertinib")
    assert doc.xpath("//a[contains(@href, 'country=Jordan')]")


# -- articles ------------------------------------------------------------------------------------
def test_article_page_cites_volume_issue_and_pages(records_client):
    doc = page(records_client, "/article/33939274")
    assert texts(doc, "//span[@class='citation']") == ["25(11):5305-5315"]


def test_article_ris_and_csv_carry_volume_issue_and_pages(records_client):
    ris = records_client.get("/export/record/33939274.ris").get_data(as_text=True)
    first = ris.split("ER  - ")[0].splitlines()
    assert [line for line in first if line[:2] in ("VL", "IS", "SP", "EP")] == [
        "VL  - 25",
        "IS  - 11",
        "SP  - 5305",
        "EP  - 5315",
    ]
    body = records_client.get("/export/record/33939274.csv").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(body)))
    assert (row["volume"], row["issue"], row["pages"]) == ("25", "11", "5305-5315")


def test_an_nct_id_in_an_abstract_links_to_its_trial_page(client):
    doc = page(client, "/article/32951293")  # its abstract names NCT00003117 (indexed)
    (link,) = doc.xpath("//section[@aria-labelledby='h-abstract']//a[text()='NCT00003117']")
    assert link.get("href") == "/trial/NCT00003117"
    assert client.get(link.get("href")).status_code == 200


def test_an_nct_id_of_a_trial_not_indexed_links_to_clinicaltrials_gov():
    from web.items import link_ncts

    html = str(link_ncts("See NCT01909453 & <NCT00003117>.", {"NCT00003117": "/trial/x"}))
    assert html == (
        'See <a href="https://clinicaltrials.gov/study/NCT01909453" rel="external">'
        'NCT01909453</a> &amp; &lt;<a href="/trial/x" data-id="NCT00003117">NCT00003117</a>&gt;.'
    )


# -- MeSH ----------------------------------------------------------------------------------------
def test_mesh_facet_values_show_names_never_raw_ids(records_client):
    facets = records_client.get("/api/search?q=osimertinib").get_json()["facets"]
    labels = {v["value"]: v["label"] for v in facets["mesh"]}
    # neither is a record of the MeSH 2014 fixtures: the trial's own browse terms name them
    assert labels["C000596361"] == "osimertinib"
    assert labels["D000077156"] == "Gefitinib"
    doc = page(records_client, "/search?q=osimertinib")
    shown = texts(doc, "//a[contains(@href, 'mesh=C000596361')]")
    assert shown and "osimertinib" in shown[0] and "C000596361" not in shown[0]


def test_a_supplementary_concept_record_labels_and_defines(records_client):
    data = records_client.get("/api/search?q=aeron").get_json()
    assert data["hits"][0]["id"] == "C025735"
    assert data["hits"][0]["title"] == "Aeron"
    doc = page(records_client, "/mesh/C025735")
    assert texts(doc, "//h1") == ["Aeron"]
    assert texts(doc, "//p[@class='mapped']") == [
        "Supplementary concept record, mapped to D001286, D002164, D004338, D012602."
    ]


def test_trial_page_names_the_intervention_terms_it_cannot_define(client):
    doc = page(client, "/trial/NCT00002845")  # interventions: aldesleukin (MeSH: Aldesleukin)
    section = doc.xpath("//section[@id='mesh-definitions']")[0]
    assert texts(section, ".//dl[@class='definitions']/dt/a") == ["Melanoma"]
    assert texts(section, ".//dl[@class='definitions undefined']/dt") == [
        "Aldesleukin an intervention of this trial"
    ]
    related = client.get("/api/records/NCT00002845/related").get_json()
    assert related["undefined_mesh"] == [
        {"term": "Aldesleukin", "reason": "an intervention of this trial"}
    ]


def test_trial_page_defines_its_intervention_descriptors(client):
    """NCT00003222's interventions Aldesleukin and Interleukin-2: the descriptor is defined."""
    doc = page(client, "/trial/NCT00003222")
    section = doc.xpath("//section[@id='mesh-definitions']")[0]
    defined = texts(section, ".//dl[@class='definitions']/dt")
    assert "Interleukin-2 an intervention of this trial" in defined
    assert "Melanoma a condition of this trial" in defined
