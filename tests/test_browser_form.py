"""The advanced search form, the year facets and the phone layout's Filters disclosure in real
headless Chromium (fixtures of tests/test_browser.py), with plain links and GET forms only."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from test_browser import browser, facet_link, follow, hit_links, total  # noqa: F401
from test_browser_axe import BLOCKING, describe, run_axe

pytestmark = pytest.mark.browser

QUERY = 'condition:("melanoma") AND intervention:("aldesleukin")'
PHONE, WIDE = (400, 900), (1200, 900)


def test_fill_in_the_advanced_form_and_land_on_a_bookmarkable_search(browser, live_server):  # noqa: F811
    browser.get(live_server + "/")
    follow(browser, browser.find_element(By.LINK_TEXT, "Advanced search"))
    assert browser.current_url == live_server + "/advanced"
    browser.find_element(By.ID, "adv-condition").send_keys("melanoma")
    browser.find_element(By.ID, "adv-intervention").send_keys("aldesleukin")
    Select(browser.find_element(By.ID, "adv-country")).select_by_visible_text("United States")
    for name, value in (("status", "COMPLETED"), ("phase", "PHASE2")):
        browser.find_element(By.CSS_SELECTOR, f"input[name='{name}'][value='{value}']").click()
    browser.find_element(By.ID, "adv-start_year-from").send_keys("1995")
    browser.find_element(By.ID, "adv-start_year-to").send_keys("1999")
    follow(browser, browser.find_element(By.CSS_SELECTOR, ".advanced-form button[type='submit']"))
    assert browser.current_url == (
        f"{live_server}/search?q={quote_plus(QUERY)}&status=COMPLETED&phase=PHASE2"
        "&country=United+States&start_year=1995..1999"
    )
    assert browser.find_element(By.ID, "q").get_attribute("value") == QUERY
    assert total(browser) == 2
    assert hit_links(browser) == ["NCT00002786", "NCT00003222"]
    browser.refresh()  # the address alone gives the same page
    assert total(browser) == 2


def test_a_form_error_is_a_sentence(browser, live_server):  # noqa: F811
    browser.get(live_server + "/advanced")
    browser.find_element(By.ID, "adv-pub_year-from").send_keys("2020")
    browser.find_element(By.ID, "adv-pub_year-to").send_keys("2010")
    follow(browser, browser.find_element(By.CSS_SELECTOR, ".advanced-form button[type='submit']"))
    assert browser.find_element(By.CSS_SELECTOR, "p.message").text == (
        "Publication year: the range 2020 to 2010 ends before it starts."
    )


def test_reach_one_year_through_its_decade_then_type_a_range(browser, live_server):  # noqa: F811
    browser.get(live_server + "/search?type=trial")
    assert total(browser) == 25
    follow(browser, facet_link(browser, "start_year", "1990..1999"))
    assert total(browser) == 7
    follow(browser, facet_link(browser, "start_year", "1995"))
    assert total(browser) == 2
    assert browser.current_url == live_server + "/search?type=trial&start_year=1995"
    form = browser.find_element(By.CSS_SELECTOR, "aside .years form.year-range")
    low = form.find_element(By.NAME, "start_year_from")
    high = form.find_element(By.NAME, "start_year_to")
    assert (low.get_attribute("value"), high.get_attribute("value")) == ("1995", "1995")
    low.clear()
    low.send_keys("2000")
    high.clear()
    high.send_keys("2009")
    follow(browser, form.find_element(By.CSS_SELECTOR, "button"))
    assert browser.current_url == live_server + "/search?type=trial&start_year=2000..2009"
    assert total(browser) == 12


def test_more_values_lead_to_all_of_them(browser, live_server):  # noqa: F811
    browser.get(live_server + "/search?type=trial")
    assert len(browser.find_elements(By.CSS_SELECTOR, "aside a[data-facet='country']")) == 12
    follow(browser, browser.find_element(By.LINK_TEXT, "All country values"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "aside a[data-facet='country']")) == 19


def test_phone_width_puts_a_filters_disclosure_above_the_results(browser, live_server):  # noqa: F811
    browser.set_window_size(*PHONE)
    try:
        browser.get(live_server + "/search?q=melanoma")
        assert browser.execute_script("return window.innerWidth") == PHONE[0]
        summary = browser.find_element(By.CSS_SELECTOR, "details#filters-top > summary")
        assert summary.is_displayed() and summary.text.startswith("Filters")
        first_hit = browser.find_element(By.CSS_SELECTOR, "ol.hits li").rect
        pager = browser.find_element(By.CSS_SELECTOR, "nav.pages").rect
        top = summary.rect
        assert top["y"] + top["height"] <= first_hit["y"] < pager["y"]
        assert not browser.find_element(By.CSS_SELECTOR, "aside.facets").is_displayed()
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= browser.execute_script("return window.innerWidth")  # no sideways scroll
        inside = "details#filters-top a.fv[href*='type=trial']"
        assert not browser.find_element(By.CSS_SELECTOR, inside).is_displayed()  # closed
        summary.click()
        link = browser.find_element(By.CSS_SELECTOR, inside)
        assert link.is_displayed() and link.rect["y"] < first_hit["y"] + 2000
        follow(browser, link)
        assert total(browser) == 4
        assert browser.current_url == live_server + "/search?q=melanoma&type=trial"
        assert browser.find_element(By.CSS_SELECTOR, "details#filters-top > summary").text == (
            "Filters (1 on)"
        )
        browser.find_element(By.CSS_SELECTOR, "details#filters-top > summary").click()
        violations = [v for v in run_axe(browser) if v["impact"] in BLOCKING]
        assert not violations, describe(violations)
    finally:
        browser.set_window_size(*WIDE)
    browser.get(live_server + "/search?q=melanoma")
    assert not browser.find_element(By.CSS_SELECTOR, "details#filters-top").is_displayed()
    aside = browser.find_element(By.CSS_SELECTOR, "aside.facets")
    assert aside.is_displayed()
    results = browser.find_element(By.CSS_SELECTOR, ".results").rect
    assert aside.rect["x"] + aside.rect["width"] <= results["x"]  # the sidebar, beside them
