"""Date sorts list the strong matches first (search/datesort.py), on both backends; sort by
last update; the MeSH page's newest trials put undated ones last.

On the fixture records, "heart" is in NCT00005182's conditions and MeSH terms (Heart
Diseases; the Health Professionals Follow-up Study, started 1985), but only in the
descriptions of NCT00498680 (an erectile dysfunction trial, 2007) and NCT00001920 (1999):
"newest" lists NCT00005182 first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from search import SearchEngine, SearchRequest
from search import fields as f
from search import querytree as qt
from search.datesort import CORE_FIELDS, core_query, date_order
from search.syntax import QueryBuilder

DATA = Path(__file__).parent / "data"
TRIALS = (("type", ("trial",)),)


@pytest.fixture(scope="module")
def engine(index_dir) -> SearchEngine:
    """The engine of the fixture index, of each backend (tests/conftest.py)."""
    return SearchEngine(index_dir)


def test_core_query_searches_plain_words_in_the_core_sections():
    tree = QueryBuilder().parse("heart").query
    core = core_query(tree)
    assert core is not None
    fields = {leaf.field for leaf in qt.leaves(core)}
    assert fields == set(CORE_FIELDS)  # ALL and its ASIDE twin are gone
    assert core_query(QueryBuilder().parse("author:smith").query) is None
    assert core_query(QueryBuilder().parse("condition:heart").query) is None


def test_core_query_keeps_exclusions_and_filters():
    tree = QueryBuilder().parse("heart NOT infarction status:completed").query
    core = core_query(tree)
    assert core is not None
    described = qt.describe(core)
    assert "ANDNOT all:infarct" in described and "status:COMPLETED" in described


def test_date_order_strong_first_then_dated_then_undated():
    import numpy as np

    found = np.array([1, 2, 3, 4, 5])
    dates = np.array([20070300, 19851200, 0, 19990800, 20000000])
    strong = np.array([False, True, True, False, True])
    assert date_order(found, dates, strong, "newest").tolist() == [5, 2, 3, 1, 4]
    asc = np.where(dates == 0, f.UNDATED, dates)
    assert date_order(found, asc, strong, "oldest").tolist() == [2, 5, 3, 4, 1]
    assert date_order(found, dates, None, "newest").tolist() == [1, 5, 4, 2, 3]


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_strong_matches_come_first_on_both_backends(engine, sort):
    page = engine.search(SearchRequest(q="heart", sort=sort, filters=TRIALS, size=10))
    assert (page.total, page.strong) == (3, 1)
    assert page.hits[0].id == "NCT00005182"
    weak = [h.id for h in page.hits[1:]]
    expected = ["NCT00498680", "NCT00001920"]
    assert weak == (expected if sort == "newest" else expected[::-1])


def test_relevance_and_fielded_queries_have_no_strong_count(engine):
    assert engine.search(SearchRequest(q="heart", filters=TRIALS)).strong is None
    page = engine.search(SearchRequest(q="condition:heart", sort="newest", filters=TRIALS))
    assert page.strong is None and page.total >= 1


def test_sort_by_last_update(engine):
    page = engine.search(SearchRequest(sort="updated", filters=TRIALS, size=50))
    updated = [engine.get(h.id)["last_update_date"] for h in page.hits]
    assert len(updated) == page.total == 25
    assert updated == sorted(updated, reverse=True) and updated[0] > "2024"


def test_the_api_reports_the_strong_matches(client):
    data = client.get("/api/search?q=heart&type=trial&sort=newest").get_json()
    assert [h["id"] for h in data["hits"]][:1] == ["NCT00005182"]
    assert (data["total"], data["strong"]) == (3, 1)
    assert client.get("/api/search?q=heart&type=trial").get_json()["strong"] is None
    updated = client.get("/api/search?type=trial&sort=updated&size=3").get_json()
    dates = [h["last_update"] for h in updated["hits"]]
    assert len(dates) == 3 and dates == sorted(dates, reverse=True)


def test_the_results_page_says_which_records_come_first(client):
    html = client.get("/search?q=heart&type=trial&sort=newest").get_data(as_text=True)
    assert 'id="strong-note"' in html and "first the 1\n      record whose title" in html
    assert "Last updated (trials)" in html
    listing = client.get("/search?type=trial&sort=updated").get_data(as_text=True)
    assert listing.count("<span>Updated <time>") == 10


def test_the_mesh_page_lists_undated_trials_last(records_index):
    """NCT00006200 (tests/data/records) is indexed with Melanoma and has no start date."""
    related = SearchEngine(records_index).related("D008545", limit=10)
    ids = [i.id for i in related.trials.items]
    assert ids[-1] == "NCT00006200" and ids[0] != "NCT00006200"


def test_a_listing_without_words_is_newest_first_on_both_backends(engine):
    """Browsing (filters, no words): relevance has nothing to rank, so newest first."""
    browse = engine.search(SearchRequest(filters=TRIALS, size=50))
    newest = engine.search(SearchRequest(filters=TRIALS, size=50, sort="newest"))
    assert browse.request.sort == "relevance"
    assert browse.total == newest.total
    assert [h.id for h in browse.hits] == [h.id for h in newest.hits]
    worded = engine.search(SearchRequest(q="heart", filters=TRIALS, size=5))
    assert worded.hits[0].score is not None  # words: still ranked by relevance
