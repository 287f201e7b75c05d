"""The results page in a real browser (headless Chromium, the fixtures of test_browser.py): a
misspelling answered with the correction's results, the heading of a later page and of a phrase
query, the search details, the tips of an empty page, and the export of ticked records. No
JavaScript is needed by the pages. Run only the browser tests with `pytest -m browser`."""

from __future__ import annotations

import csv
import io
import time

import pytest
from selenium.webdriver.common.by import By
from test_browser import browser, follow, total  # noqa: F401 (browser is a fixture)

pytestmark = pytest.mark.browser


def text(driver, css: str) -> str:
    return " ".join(driver.find_element(By.CSS_SELECTOR, css).text.split())


def test_a_misspelling_shows_the_correction_s_results_and_the_way_back(browser, live_server):  # noqa: F811
    browser.get(live_server + "/")
    browser.find_element(By.ID, "q").send_keys("melenoma")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form[role='search'] button"))
    assert (
        text(browser, "#corrected") == "Showing results for melanoma; search instead for melenoma"
    )
    assert total(browser) > 0
    assert text(browser, "#summary").endswith("for melanoma")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "#corrected a"))
    assert browser.current_url == live_server + "/search?q=melenoma&spell=off"
    assert total(browser) == 0
    assert not browser.find_elements(By.ID, "corrected")
    assert text(browser, "#tips li") == "Check the spelling: did you mean melanoma?"


def test_the_heading_of_page_two_and_of_a_phrase(browser, live_server):  # noqa: F811
    browser.get(live_server + "/search?q=cancer&size=5")
    n = total(browser)
    assert text(browser, "#summary") == f"Results 1–5 of {n} for cancer"
    pages = browser.find_element(By.CSS_SELECTOR, "nav[aria-label='Result pages']")
    follow(browser, pages.find_element(By.LINK_TEXT, "2"))
    assert text(browser, "#summary") == f"Results 6–10 of {n} for cancer"

    browser.get(live_server + "/search?q=%22breast+cancer%22")
    heading = browser.find_element(By.ID, "summary")
    assert " ".join(heading.text.split()) == 'Results 1–2 of 2 for "breast cancer"'
    marks = browser.execute_script(  # quotation marks the browser itself adds (<q>)
        "return [...arguments[0].querySelectorAll('*')].map("
        "e => getComputedStyle(e, '::before').content).filter(c => c !== 'none')",
        heading,
    )
    assert marks == []


def test_search_details_in_words_and_the_syntax_on_demand(browser, live_server):  # noqa: F811
    browser.get(live_server + "/search?q=melanoma+interleukin-2")
    said = browser.find_element(By.CSS_SELECTOR, "dd.explained")
    assert not said.is_displayed()  # the details are closed at first
    browser.find_element(By.CSS_SELECTOR, "details.details > summary").click()
    assert said.find_element(By.TAG_NAME, "p").text == (
        "Trials, articles and MeSH descriptors matching melanoma (MeSH: Melanoma) AND "
        "interleukin-2 (MeSH: Interleukin-2)."
    )
    code = browser.find_element(By.CSS_SELECTOR, "code.parsed")
    assert not code.is_displayed()
    browser.find_element(By.CSS_SELECTOR, "details.syntax > summary").click()
    assert code.is_displayed() and "all:melanoma" in code.text


def test_an_empty_page_gives_tips_that_lead_somewhere(browser, live_server):  # noqa: F811
    browser.get(live_server + "/search?q=melanoma&type=mesh&status=RECRUITING&expand=none")
    assert total(browser) == 0
    tips = [" ".join(li.text.split()) for li in browser.find_elements(By.CSS_SELECTOR, "#tips li")]
    assert "Remove the filter Recruitment status: Recruiting." in tips
    follow(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Remove the filter Recruitment"))
    assert total(browser) > 0
    assert "status=" not in browser.current_url


def test_export_the_ticked_records(browser, live_server, tmp_path):  # noqa: F811
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    browser.get(live_server + "/search?q=melanoma&type=trial")
    boxes = browser.find_elements(By.CSS_SELECTOR, "ol.hits input[type='checkbox']")
    assert len(boxes) == 4
    chosen = [boxes[0].get_attribute("value"), boxes[2].get_attribute("value")]  # page order
    boxes[2].click()
    boxes[0].click()
    browser.find_element(By.CSS_SELECTOR, "#chosen button").click()  # CSV
    path = tmp_path / "chosen.csv"
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert path.exists(), f"no chosen.csv downloaded into {tmp_path}"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == chosen
