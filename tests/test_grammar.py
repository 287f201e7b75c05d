"""The query grammar (search/grammar.py): precedence, negation, fields, and refusals."""

from __future__ import annotations

import pytest

from search import querytree as qt
from search.errors import InvalidRequest
from search.grammar import parse


def d(text: str) -> str:
    return qt.describe(parse(text))


@pytest.mark.parametrize(
    "text, tree",
    [
        ("melanoma OR nevus AND uveal", "(all:melanoma OR (all:nevus AND all:uveal))"),
        (
            "melanoma nevus AND uveal vaccine",
            "(all:melanoma OR (all:nevus AND all:uveal) OR all:vaccin)",
        ),
        (
            "melanoma AND nevus ANDNOT uveal OR choroid",
            "((all:melanoma AND all:nevus) ANDNOT (all:uveal OR all:choroid))",
        ),
        ("melanoma ANDNOT uveal vaccine", "((all:melanoma ANDNOT all:uveal) OR all:vaccin)"),
        ("NOT uveal NOT choroid melanoma", "(all:melanoma ANDNOT (all:uveal OR all:choroid))"),
        ("melanoma AND NOT uveal", "(all:melanoma ANDNOT all:uveal)"),
        ("melanoma OR NOT uveal", "(all:melanoma ANDNOT all:uveal)"),
        ("NOT NOT melanoma vaccine", "(all:melanoma OR all:vaccin)"),
        ("melanoma NOT", "(all:melanoma OR all:not)"),
        ("melanoma AND", "all:melanoma"),
        ("OR melanoma", "all:melanoma"),
        ("melanoma OR OR nevus", "(all:melanoma OR all:nevus)"),
        ("melanoma ANDMAYBE vaccine", "(all:melanoma ANDMAYBE all:vaccin)"),
        ("((melanoma)) (nevus", "(all:melanoma OR all:nevus)"),
        ("melanoma) nevus", "(all:melanoma OR all:nevus)"),
    ],
)
def test_operators_bind_as_documented(text, tree):
    assert d(text) == tree


@pytest.mark.parametrize(
    "text, tree",
    [
        ('"lung cancer"~3 smoking', '(all:"lung cancer" OR all:smoke)'),
        ('"lung cancer"^0.5', 'all:"lung cancer"'),
        ('"the"', "<nothing>"),
        ('"lung"', "all:lung"),
        ("title:(breast cancer) risk", "(title:breast OR title:cancer OR all:risk)"),
        ("title:(breast AND cancer)", "(title:breast AND title:cancer)"),
        ('title:"lung cancer"', 'title:"lung cancer"'),
        ("author:Smith-Jones", "(author:smith OR author:jones)"),
        ("status:RECRUITING", "status:RECRUITING"),
        ("year:[2015 TO 2020]", "year:[2015 TO 2020]"),
        ("year:[TO 2020]", "year:[ TO 2020]"),
        ("year:[2015 TO]", "year:[2015 TO ]"),
        ("immuno* therapy", "(all:immuno* OR all:therapi)"),
        ("melanoma^2 nevus", "(all:melanoma^2.0 OR all:nevus)"),
        ("melanoma^abc", "(all:melanoma OR all:abc)"),
        ("melanoma,nevus", "(all:melanoma OR all:nevus)"),
        ("IL-6 5-FU CD4+", "(all:il-6 OR all:5-fu OR all:cd4+)"),
        ("fast-twitch", "DisMax((all:fast AND all:twitch) all:fast-twitch)"),
        ("Golli-deficient", "DisMax((all:golli AND all:defici) all:golli-defici)"),
        ("T-cells", "DisMax((all:t AND all:cell) all:t-cell)"),
        ("non-small-cell", "DisMax((all:non AND all:small AND all:cell) all:non-small-cell)"),
        ('"fast-twitch"', "all:fast-twitch"),
        ("title:fast-twitch", "DisMax((title:fast AND title:twitch) title:fast-twitch)"),
        ("NutritionFacts.org: diet", "(all:nutritionfacts.org OR all:diet)"),
        ("U/A: negative", "(all:u/a OR all:negat)"),
        ("title: cancer", "(all:titl OR all:cancer)"),
        ("the of and", "<nothing>"),
        ("NOT melanoma", "<nothing>"),
    ],
)
def test_leaves(text, tree):
    assert d(text) == tree


@pytest.mark.parametrize(
    "text, message",
    [
        ("[a TO z]", "Ranges work on years only"),
        ("[TO z]", "Ranges work on years only"),
        ("{a TO z}", "Ranges work on years only"),
        ("title:[a TO z]", "Ranges work on years only"),
        ("year:[a TO z]", "needs numbers"),
        ("mel*oma", "can only end a word"),
        ("year:20*", "not a prefix"),
    ],
)
def test_costly_or_meaningless_forms_are_refused(text, message):
    with pytest.raises(InvalidRequest, match=message):
        parse(text)


def test_a_prefix_keeps_a_keyword_field_s_case():
    assert parse("mesh_tree:C04.557*") == qt.Prefix("mesh_tree", "C04.557")
    assert parse("Immuno*") == qt.Prefix("all", "immuno")
