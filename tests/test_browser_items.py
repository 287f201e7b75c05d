"""Record pages in a real browser (headless Chromium through Debian's chromedriver, the
fixtures of test_browser.py): from a search hit to the trial page, from the trial page to an
associated article and to a MeSH page, and from a topic or a MeSH count to a faceted search.
Run only the browser tests with `pytest -m browser`."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from test_browser import browser, follow, total  # noqa: F401 (browser is a fixture)

pytestmark = pytest.mark.browser


def heading(driver) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text


def test_from_a_search_hit_to_the_trial_page(browser, live_server):  # noqa: F811
    browser.get(live_server + "/search?q=melanoma+interleukin-2")
    first = browser.find_element(By.CSS_SELECTOR, "ol.hits h2 a")
    title = first.text
    follow(browser, first)
    assert browser.current_url == live_server + "/trial/NCT00002845"
    assert (
        heading(browser) == title == "Interleukin-2 in Treating Patients With Metastatic Melanoma"
    )
    related = browser.find_elements(By.CSS_SELECTOR, "#related-trials ol.related-list li")
    assert len(related) >= 3
    assert related[0].find_element(By.CSS_SELECTOR, ".why").text  # every link says why


def test_from_the_trial_page_to_an_associated_article_and_back(browser, live_server):  # noqa: F811
    browser.get(live_server + "/trial/NCT00003117")
    item = browser.find_element(By.CSS_SELECTOR, "#related-articles ol.related-list li")
    assert item.find_element(By.CSS_SELECTOR, ".why").text == (
        "LINKED names NCT00003117 in its abstract"  # the tag is upper-cased by CSS
    )
    follow(browser, item.find_element(By.TAG_NAME, "a"))
    assert browser.current_url == live_server + "/article/32951293"
    assert heading(browser).startswith("Expanding Beyond Maximum Grade")
    back = browser.find_element(By.CSS_SELECTOR, "#related-trials ol.related-list li a")
    follow(browser, back)
    assert browser.current_url == live_server + "/trial/NCT00003117"


def test_from_the_trial_page_to_a_mesh_page_and_up_the_tree(browser, live_server):  # noqa: F811
    browser.get(live_server + "/trial/NCT00003117")
    follow(browser, browser.find_element(By.LINK_TEXT, "Lung Neoplasms"))
    assert browser.current_url == live_server + "/mesh/D008175"
    assert heading(browser) == "Lung Neoplasms"
    trail = browser.find_element(By.CSS_SELECTOR, "ol.trail")
    follow(browser, trail.find_element(By.LINK_TEXT, "Neoplasms"))
    assert browser.current_url == live_server + "/mesh/D009369"
    assert heading(browser) == "Neoplasms"


def test_from_a_topic_to_the_faceted_search(browser, live_server):  # noqa: F811
    browser.get(live_server + "/trial/NCT00003222")
    topic = browser.find_element(By.CSS_SELECTOR, "#topics a[data-topic='C04']")
    assert topic.text == "Neoplasms"
    follow(browser, topic)
    assert browser.current_url == live_server + "/search?topic=C04"
    assert total(browser) == 31
    chips = browser.find_elements(By.CSS_SELECTOR, "nav[aria-label='Active filters'] a.chip")
    assert [c.text for c in chips] == ["MeSH topic: Neoplasms ×"]


def test_from_a_mesh_count_to_the_search_it_counts(browser, live_server):  # noqa: F811
    browser.get(live_server + "/mesh/D009369")
    link = browser.find_element(By.CSS_SELECTOR, "a[data-count='trials-narrower']")
    assert link.text == "7 trials"
    follow(browser, link)
    assert total(browser) == 7
    assert (
        browser.find_element(By.ID, "q").get_attribute("value") == "mesh:D009369 OR mesh_tree:C04*"
    )


def test_trial_results_and_sites_by_country(browser, records_live_server):  # noqa: F811
    """NCT02856893 (tests/data/records): its posted results and its sites, as a reader sees them."""
    browser.get(records_live_server + "/trial/NCT02856893")
    results = browser.find_element(By.ID, "results")
    flow = results.find_element(By.CSS_SELECTOR, "table.result-table")
    assert flow.is_displayed()
    cells = flow.find_elements(By.CSS_SELECTOR, "tbody tr:first-child > *")
    assert [c.text for c in cells] == ["STARTED", "53", "52", "51"]
    baseline = results.find_element(By.CSS_SELECTOR, "details.baseline")
    age = baseline.find_elements(By.CSS_SELECTOR, "table.result-table")[1]
    assert not age.is_displayed()  # closed until asked for
    baseline.find_element(By.TAG_NAME, "summary").click()
    assert age.is_displayed()
    assert age.find_element(By.TAG_NAME, "caption").text.startswith("Age, Categorical")
    outcomes = results.find_elements(By.CSS_SELECTOR, ".outcome-result h4")
    assert len(outcomes) == 9 and outcomes[0].text == "PRIMARY PFS Rate at 18 Months"
    serious = results.find_element(By.XPATH, ".//table[caption='Serious adverse events']")
    assert serious.is_displayed() and len(serious.find_elements(By.CSS_SELECTOR, "tbody tr")) == 35
    sites = browser.find_element(By.ID, "locations")
    spain = sites.find_element(By.LINK_TEXT, "Spain")
    spain.click()
    assert browser.current_url.endswith("#country-6")
    heading = browser.find_element(By.ID, "country-6")
    assert heading.text == "Spain (8)"
    listed = heading.find_element(By.XPATH, "following-sibling::ul[1]").find_elements(
        By.TAG_NAME, "li"
    )
    assert len(listed) == 8


def test_associated_trials_count_close_matches_and_link_to_more(browser, live_server):  # noqa: F811
    """NCT00003117 has 6 associated trials, one of them close (NCT00462995, lung cancer); the
    "more" link opens a search listing the weaker ones too (NCT00000410, disc herniation)."""
    browser.get(live_server + "/trial/NCT00003117")
    section = browser.find_element(By.ID, "related-trials")
    assert section.find_element(By.CSS_SELECTOR, "h2 .count").text == "(1)"
    listed = section.find_elements(By.CSS_SELECTOR, "ol.related-list li a")
    assert [a.get_attribute("data-id") for a in listed] == ["NCT00462995"]
    follow(browser, section.find_element(By.LINK_TEXT, "Search for more trials"))
    assert total(browser) >= 6
    found = [
        a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "ol.hits h2 a")
    ]
    assert live_server + "/trial/NCT00000410" in found
    assert live_server + "/trial/NCT00003117" not in found
