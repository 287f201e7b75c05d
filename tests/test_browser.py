"""The site in a real browser: headless Chromium driven by Selenium through Debian's chromedriver,
against the app served over HTTP on 127.0.0.1 (fixture `live_server`). No JavaScript is needed
by the pages; these tests check that plain links and forms do the job end to end.

Needs /usr/bin/chromium and /usr/bin/chromedriver (`apt-get install chromium chromium-driver`):
without them these tests fail, they do not skip. Run only them with `pytest -m browser`.
"""

from __future__ import annotations

import os

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1200,900",
)
WAIT = 10  # seconds


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # with the driver path below: no Selenium Manager
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _replaced(old: WebElement) -> bool:
    """True once `old` belongs to no live document: stale, or (ChromeDriver, while the next
    page replaces it) "Node with given id does not belong to the document"."""
    try:
        old.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e):
            return True
        raise
    return False


def follow(driver: WebDriver, element: WebElement) -> None:
    """Click a link or a submit button and wait until the next page has replaced this one."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    next_page(driver, old)


def next_page(driver: WebDriver, old: WebElement) -> None:
    """Wait until the page whose <html> is `old` has been replaced and the next one loaded."""
    WebDriverWait(driver, WAIT).until(lambda d: _replaced(old))
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def total(driver: WebDriver) -> int:
    return int(driver.find_element(By.CSS_SELECTOR, "#summary .total").text.replace(",", ""))


def facet_link(driver: WebDriver, facet: str, value: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f"a[data-facet='{facet}'][data-value='{value}']")


def facet_counts(driver: WebDriver, facet: str) -> dict[str, int]:
    links = driver.find_elements(By.CSS_SELECTOR, f"a[data-facet='{facet}']")
    return {
        a.get_attribute("data-value"): int(a.find_element(By.CLASS_NAME, "count").text)
        for a in links
    }


def hit_links(driver: WebDriver) -> list[str]:
    return [
        a.get_attribute("href").rsplit("/", 1)[-1]
        for a in driver.find_elements(By.CSS_SELECTOR, "ol.hits h2 a")
    ]


def test_type_a_query_in_the_search_box_and_see_results(browser, live_server):
    browser.get(live_server + "/")
    assert browser.find_element(By.CSS_SELECTOR, "label[for='q']").is_displayed()
    box = browser.find_element(By.ID, "q")
    box.send_keys("melanoma interleukin-2")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form[role='search'] button"))
    assert browser.current_url == live_server + "/search?q=melanoma+interleukin-2"
    assert total(browser) == 4  # the melanoma trials giving IL-2 ...
    assert len(hit_links(browser)) == 10  # ... then records with one of the words
    assert browser.find_element(By.ID, "more").text.endswith("with some of your words, not all")
    first = browser.find_element(By.CSS_SELECTOR, "ol.hits li")
    assert first.find_element(By.CLASS_NAME, "badge").text in ("TRIAL", "ARTICLE", "MESH")
    assert first.find_elements(By.CSS_SELECTOR, ".snippet mark")  # highlighted, not escaped
    assert browser.find_element(By.ID, "q").get_attribute("value") == "melanoma interleukin-2"


def test_click_facet_values_and_see_total_and_counts_change(browser, live_server):
    browser.get(live_server + "/search?q=melanoma")
    before = total(browser)
    trials = facet_link(browser, "type", "trial")
    trial_count = int(trials.find_element(By.CLASS_NAME, "count").text)
    topics = facet_counts(browser, "topic")
    follow(browser, trials)
    assert total(browser) == trial_count == 4 < before
    assert "on" in facet_link(browser, "type", "trial").get_attribute("class").split()
    assert facet_counts(browser, "topic") != topics
    chips = browser.find_elements(By.CSS_SELECTOR, "nav[aria-label='Active filters'] a.chip")
    assert [c.text for c in chips] == ["Record type: Clinical trials ×"]

    follow(browser, facet_link(browser, "phase", "PHASE2"))  # AND across facets
    assert total(browser) == 3
    assert facet_counts(browser, "type") == {"trial": 3}
    follow(browser, facet_link(browser, "phase", "PHASE1"))  # OR within a facet
    assert total(browser) == 4

    chip = browser.find_elements(By.CSS_SELECTOR, "a.chip")[0]  # remove "Record type"
    follow(browser, chip)
    assert total(browser) == 4  # phases exist on trials only
    assert "on" not in facet_link(browser, "type", "trial").get_attribute("class").split()


def test_go_to_page_two(browser, live_server):
    browser.get(live_server + "/search?q=melanoma&size=5")
    first_page = hit_links(browser)
    pages = browser.find_element(By.CSS_SELECTOR, "nav[aria-label='Result pages']")
    current = pages.find_element(By.CSS_SELECTOR, "a[aria-current='page']")
    assert current.text == "1"
    follow(browser, pages.find_element(By.LINK_TEXT, "2"))
    pages = browser.find_element(By.CSS_SELECTOR, "nav[aria-label='Result pages']")
    assert pages.find_element(By.CSS_SELECTOR, "a[aria-current='page']").text == "2"
    second_page = hit_links(browser)
    assert len(second_page) == 5 and not set(first_page) & set(second_page)
    assert browser.find_element(By.CSS_SELECTOR, "ol.hits").get_attribute("start") == "6"
    follow(browser, pages.find_element(By.CSS_SELECTOR, "a[rel='prev']"))
    assert hit_links(browser) == first_page


def test_follow_did_you_mean(browser, live_server):
    browser.get(live_server + "/")
    browser.find_element(By.ID, "q").send_keys("lymfoma")  # two edits: not corrected at once
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form[role='search'] button"))
    assert total(browser) == 0
    suggestion = browser.find_element(By.CSS_SELECTOR, "p.suggestion a")
    assert browser.find_element(By.CSS_SELECTOR, "p.suggestion").text == ("Did you mean lymphoma?")
    follow(browser, suggestion)
    assert browser.find_element(By.ID, "q").get_attribute("value") == "lymphoma"
    assert total(browser) > 0
    assert not browser.find_elements(By.CSS_SELECTOR, "p.suggestion")
