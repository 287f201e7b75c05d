"""Accessibility in a real browser: axe-core (npm, installed into .venv/axe by
scripts/setup.sh --dev) run in headless Chromium on every kind of page, and the search, the
facets and the paging used with the keyboard alone. Run only the browser tests with
`pytest -m browser`.

The pages: home, a results page with a filter on and its facets and "Search details" open,
the advanced search form, a trial, an article, a MeSH descriptor, an error page (404), and the
API page once Swagger UI has rendered the description (the phone layout's results page:
tests/test_browser_form.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from test_browser import WAIT, browser, next_page, total  # noqa: F401 (browser is a fixture)

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent.parent / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
PAGES = {
    "home": "/",
    "results with facets": "/search?q=melanoma&type=trial",
    "results with a year range": "/search?type=trial&start_year=1990..1999&all_values=country",
    "advanced search": "/advanced?q=melanoma&status=COMPLETED&start_year=1995..1999",
    "trial": "/trial/NCT00003117",
    "article": "/article/32951293",
    "mesh": "/mesh/D008175",
    "error (404)": "/trial/NCT99999999",
    "api docs": "/api/docs",
}


def run_axe(driver: WebDriver) -> list[dict]:
    """axe-core's violations on the current page (WCAG 2.x A and AA rules and best practices)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run scripts/setup.sh --dev (npm ci of tests/axe)")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));"
    )
    return result


def describe(violations: list[dict]) -> str:
    return "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) on "
        + ", ".join(n["target"][0] for n in v["nodes"][:3] if n.get("target"))
        for v in violations
    )


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_axe_violations(browser, live_server, name):  # noqa: F811
    browser.get(live_server + PAGES[name])
    if name == "api docs":
        swagger_rendered(browser)
    for details in browser.find_elements(By.CSS_SELECTOR, "details:not([open]) > summary"):
        if details.is_displayed():  # (the phone layout's Filters disclosure is not, here)
            details.click()  # open "Search details" so that it is checked too
    violations = run_axe(browser)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


def swagger_rendered(driver: WebDriver) -> None:
    """Wait until Swagger UI has drawn every operation of /api/openapi.json."""
    WebDriverWait(driver, WAIT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 13
    )


def test_the_api_page_renders_every_operation_offline(browser, live_server):  # noqa: F811
    """Swagger UI's files come from the site (the browser has no network but loopback) and run
    under the site's Content-Security-Policy."""
    browser.get(live_server + "/api/docs")
    swagger_rendered(browser)
    paths = {e.text.replace("\u200b", "") for e in browser.find_elements(
        By.CSS_SELECTOR, ".opblock-summary-path")}  # fmt: skip
    assert {"/api/search", "/api/records/{record_id}/related", "/export/search.{fmt}"} <= paths
    assert browser.find_element(By.CSS_SELECTOR, ".version-stamp").text == "OAS 3.1"


def focused(driver: WebDriver):
    return driver.switch_to.active_element


def tab_to(driver: WebDriver, css: str, most: int = 300) -> None:
    """Press Tab until the focused element matches `css` (fails after `most` presses)."""
    for _ in range(most):
        focused(driver).send_keys(Keys.TAB)
        if driver.execute_script("return document.activeElement.matches(arguments[0])", css):
            return
    pytest.fail(f"Tab never reached {css}")


def enter(driver: WebDriver) -> None:
    """Press Enter on the focused element and wait for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    focused(driver).send_keys(Keys.ENTER)
    next_page(driver, old)


def test_search_facets_and_paging_with_the_keyboard_only(browser, live_server):  # noqa: F811
    browser.get(live_server + "/")
    # the search box has the focus (autofocus lands once the page is ready: wait for it)
    WebDriverWait(browser, 10).until(lambda d: focused(d).get_attribute("id") == "q")
    focused(browser).send_keys("melanoma")
    enter(browser)
    assert browser.current_url == live_server + "/search?q=melanoma"
    everything = total(browser)

    tab_to(browser, "a.skip")  # the first stop on the page: skip to the results
    assert focused(browser).text == "Skip to content"
    tab_to(browser, "a[data-facet='type'][data-value='trial']")
    enter(browser)
    assert browser.current_url == live_server + "/search?q=melanoma&type=trial"
    assert 0 < total(browser) < everything

    browser.get(live_server + "/search?q=melanoma&size=5")
    tab_to(browser, "nav[aria-label='Result pages'] a[aria-label='Page 2']")
    enter(browser)
    assert browser.current_url == live_server + "/search?q=melanoma&size=5&page=2"
    current = browser.find_element(
        By.CSS_SELECTOR, "nav[aria-label='Result pages'] a[aria-current]"
    )
    assert current.text == "2"

    tab_to(browser, "a.chip, a[rel='prev']")  # and back with the Previous link
    enter(browser)
    assert browser.current_url == live_server + "/search?q=melanoma&size=5"


def test_the_focus_is_visible(browser, live_server):  # noqa: F811
    """A keyboard user sees where the focus is: focused links get an outline."""
    browser.get(live_server + "/search?q=melanoma")
    tab_to(browser, "a[data-facet='type']")
    style = browser.execute_script(
        "const s = getComputedStyle(document.activeElement);"
        "return [s.outlineStyle, s.outlineWidth, s.boxShadow];"
    )
    assert style[0] != "none" and style[1] != "0px" or style[2] != "none", style
