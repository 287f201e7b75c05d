"""search/xapian/matching.py on trees parsed by search/syntax.py: the numeric ranges taken
apart from a tree (ranges_apart: the match sets, the count servers' `ranged` and the partial
matches' count all split a tree so)."""

from __future__ import annotations

import pytest

from search import querytree as qt
from search.syntax import QueryBuilder
from search.xapian.matching import ranged, ranges_apart


def parsed(text: str) -> qt.Node:
    return QueryBuilder().parse(text).query


def melanoma() -> qt.Node:
    return parsed("melanoma")


def test_an_ands_ranges_are_apart_from_its_one_other_part():
    assert ranges_apart(parsed("melanoma year:1990..2030")) == (
        (("year", 1990, 2030),),
        melanoma(),
    )
    assert ranges_apart(parsed("melanoma year:1990")) == ((("year", 1990, 1990),), melanoma())
    assert ranges_apart(parsed("melanoma year:2000..2010 year:..2005")) == (
        (("year", 2000, 2010), ("year", None, 2005)),
        melanoma(),
    )


def test_an_ands_other_parts_stay_together_as_an_and():
    tree = parsed("melanoma type:trial year:2000..2010")
    assert isinstance(tree, qt.And) and len(tree.children) == 3
    assert ranges_apart(tree) == ((("year", 2000, 2010),), qt.And(tree.children[:2]))


def test_a_range_alone_is_all_range():
    assert ranges_apart(parsed("year:2015..2030")) == ((("year", 2015, 2030),), None)
    tree = parsed("year:2019 year:2020..2030")  # an And of ranges only: nothing else to match
    assert isinstance(tree, qt.And)
    assert ranges_apart(tree) == ((("year", 2019, 2019), ("year", 2020, 2030)), None)


@pytest.mark.parametrize(
    "text",
    [
        "melanoma",  # no range
        "cancer OR year:2000..2010",  # under an Or: not one of an And's parts
        "melanoma AND (pain OR year:2000..2010)",  # under an Or under an And
        "melanoma AND (pain AND year:2000..2010)",  # nested: an And under an AndMaybe
    ],
)
def test_a_range_not_among_an_ands_children_is_not_apart(text):
    tree = parsed(text)
    assert ranges_apart(tree) == ((), tree)


class Words:
    def expand(self, node: qt.Prefix) -> list[str]:
        return [node.text]


def test_ranged_sends_the_ranges_apart_up_to_a_limit():
    tree = parsed("melanoma year:2000..2010 year:..2005")
    query, ranges = ranged(Words(), tree, 2)
    assert ranges == (("year", 2000, 2010), ("year", None, 2005))
    assert "VALUE" not in str(query) and "melanoma" in str(query)
    query, ranges = ranged(Words(), tree, 1)  # more than that: none apart
    assert ranges == () and "VALUE_RANGE" in str(query)
    for text in ("year:2015..2030", "year:2019 year:2020..2030", "cancer OR year:2000..2010"):
        query, ranges = ranged(Words(), parsed(text), 5)
        assert ranges == () and "VALUE" in str(query)
