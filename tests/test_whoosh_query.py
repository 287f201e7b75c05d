"""search/whoosh/query.py: the cap on the words a query's prefixes stand for."""

from __future__ import annotations

import re

import pytest

from search.errors import InvalidRequest
from search.syntax import QueryBuilder
from search.whoosh.query import MAX_EXPANDED_TERMS, _multiterms, check_expansions, to_whoosh
from search.whoosh.store import open_index

pytestmark = pytest.mark.backends("whoosh")  # Whoosh's own internals


@pytest.fixture(scope="module")
def reader(index_dir):
    ix = open_index(index_dir)
    with ix.reader() as reader:
        yield reader
    ix.close()


def whoosh_query(text: str):
    return to_whoosh(QueryBuilder().parse(text).query)


@pytest.mark.parametrize(
    "text, sentence",
    [
        ("pro*", "pro* matches more than 10 different words: type more letters before the *."),
        ("melanoma AND (pre* OR x)", "pre* matches more than 10 different words"),
        ("title:melanom* pro*", "pro* matches more than 10 different words"),
    ],
)
def test_a_prefix_over_more_words_than_the_limit_is_refused(reader, text, sentence):
    """On the fixture index with a limit of 10: dozens of words start with pro, and with pre."""
    with pytest.raises(InvalidRequest, match=f"^{re.escape(sentence)}"):
        check_expansions(whoosh_query(text), reader, limit=10)


def test_prefixes_count_together(reader):
    """A limit each of pro* and con* is within, and both together are not."""

    def words(text: str) -> int:  # in every field the query searches
        return sum(len(list(n._btexts(reader))) for n in _multiterms(whoosh_query(text)))

    pro, con = words("pro*"), words("con*")
    limit = max(pro, con)
    assert pro + con > limit
    check_expansions(whoosh_query("pro*"), reader, limit=limit)
    check_expansions(whoosh_query("con*"), reader, limit=limit)
    with pytest.raises(InvalidRequest) as refused:
        check_expansions(whoosh_query("pro* con*"), reader, limit=limit)
    assert str(refused.value) == (
        f"The prefixes of this query match more than {limit:,} different words together: use "
        "fewer of them, or more letters."
    )


@pytest.mark.parametrize(
    "text", ["pro*", "immuno* con*", "melanoma year:2015..2020", "year:..2020 melanoma"]
)
def test_prefixes_and_year_ranges_within_the_limit_pass(reader, text):
    check_expansions(whoosh_query(text), reader)
    assert MAX_EXPANDED_TERMS == 4096


def test_mesh_tree_prefixes_are_exempt(reader):
    """Written by the MeSH pages (mesh_tree:C04*, 17 tree numbers in the fixture index) and by
    explode: the tree is MeSH's, with a bounded number of tree numbers, whatever the records."""
    check_expansions(whoosh_query("mesh:D008545 OR mesh_tree:C04*"), reader, limit=1)


def test_the_engine_checks_a_request_without_searching(index_dir):
    """What HEAD on an export asks: the same refusals as a search, without the search."""
    from search.engine import SearchEngine
    from search.models import SearchRequest

    engine = SearchEngine(index_dir, max_expanded=10)
    engine.check(SearchRequest(q="melanoma"))
    with pytest.raises(InvalidRequest, match=r"^pro\* matches more than 10 different words"):
        engine.check(SearchRequest(q="pro*"))
    engine.check(SearchRequest(q="[a TO z]"))  # no range of words: the words a, to, z
