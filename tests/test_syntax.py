"""Query strings -> query trees: syntax, field aliases, and clear errors for odd input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search import syntax
from search.errors import InvalidRequest
from search.querytree import describe
from search.syntax import QueryBuilder, clean, plain_words, split_filters


@pytest.fixture(scope="module")
def builder():
    return QueryBuilder()


@pytest.mark.parametrize(
    "text, parsed",
    [
        (
            "melanoma interleukin-2",
            "((all:melanoma AND all:interleukin-2)"
            " ANDMAYBE (aside:melanoma OR aside:interleukin-2))",
        ),
        (
            '"heart attack" aspirin',
            '((all:"heart attack" AND all:aspirin)'
            ' ANDMAYBE (aside:"heart attack" OR aside:aspirin))',
        ),
        (
            "melanoma AND vaccine",
            "((all:melanoma AND all:vaccin) ANDMAYBE (aside:melanoma OR aside:vaccin))",
        ),
        (
            "(melanoma OR nevus) NOT uveal",
            "(((all:melanoma OR all:nevus) ANDNOT all:uveal)"
            " ANDMAYBE (aside:melanoma OR aside:nevus))",
        ),
        (
            "melanoma NOT uveal vaccine",
            "(((all:melanoma OR all:vaccin) ANDNOT all:uveal)"
            " ANDMAYBE (aside:melanoma OR aside:vaccin))",
        ),
        ("immuno*", "(all:immuno* ANDMAYBE aside:immuno*)"),
        ("title:melanoma", "title:melanoma"),
        (
            "condition:melanoma intervention:aldesleukin",
            "(condition:melanoma OR intervention:aldesleukin)",
        ),
        ("mesh:D008545", "mesh_ui:D008545"),
        (
            "status:recruiting melanoma",
            "((all:melanoma ANDMAYBE aside:melanoma) AND status:RECRUITING)",
        ),
        ('status:"active, not recruiting"', "status:ACTIVE_NOT_RECRUITING"),
        ("phase:2 melanoma", "((all:melanoma ANDMAYBE aside:melanoma) AND phase:PHASE2)"),
        ("phase:III", "phase:PHASE3"),
        (
            "year:2015..2020 melanoma",
            "((all:melanoma ANDMAYBE aside:melanoma) AND year:[2015 TO 2020])",
        ),
        ("type:trial melanoma", "((all:melanoma ANDMAYBE aside:melanoma) AND type:trial)"),
        (
            "Why does IL-6 rise?",
            "(((all:il-6 AND all:rise) ANDMAYBE (all:whi OR all:doe))"
            " ANDMAYBE (aside:il-6 OR aside:rise OR aside:whi OR aside:doe))",
        ),
    ],
)
def test_syntax(builder, text, parsed):
    assert describe(builder.parse(text).query) == parsed


def test_filters_are_required_only_without_explicit_boolean_logic(builder):
    assert describe(builder.parse("status:completed OR melanoma").query) == (
        "((status:COMPLETED OR all:melanoma) ANDMAYBE aside:melanoma)"
    )


def test_keywords_need_every_concept_a_question_none(builder, monkeypatch):
    """Keywords (up to 4 words): every concept; question words are never required; each MeSH
    phrase with its synonyms is one concept; the loose query is the fallback. A question or
    claim (5+ words) requires nothing: records are ranked by BM25 (issue 17: requiring 75% of
    its concepts cost nDCG@10 on SciFact and NFCorpus train)."""
    short = builder.parse("breast cancer recruiting")
    assert describe(short.query).startswith("((all:breast AND all:cancer AND all:recruit)")
    assert describe(short.loose).startswith("((all:breast OR all:cancer OR all:recruit)")
    words = "statin drug cholesterol breast cancer risk women"  # 7 concepts, a question
    question = builder.parse(words)
    assert question.loose is None and describe(question.query).startswith("((all:statin OR")
    monkeypatch.setattr(syntax, "REQUIRE_SHAPES", frozenset({"keywords", "question"}))
    assert ">6 ANDMAYBE" in describe(builder.parse(words).query)  # 75% of 7, rounded up
    assert builder.parse("melanoma").loose is None
    assert builder.parse("melanoma OR nevus").loose is None  # the user's own logic
    assert builder.parse("title:melanoma nevus").loose is None


def test_eligibility_and_locations_only_add_to_a_score(builder):
    tree = builder.parse("melanoma").query
    assert describe(tree) == "(all:melanoma ANDMAYBE aside:melanoma)"


@pytest.mark.parametrize("text", ["NCT00000102", "nct00000102", "12345678", "D008545"])
def test_a_record_id_alone_goes_to_that_record(builder, text):
    parsed = builder.parse(text)
    assert parsed.record_id == text.upper()
    assert f"id:{text.upper()}^1000.0" in describe(parsed.query)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Type one or more words"),
        ("   ", "Type one or more words"),
        ("NOT", "nothing to search for"),
        ("OR AND", "nothing to search for"),
        ("the of and", "nothing to search for"),
        ("a*", "at least 3 letters"),
        ("ca* melanoma", "at least 3 letters"),
        ("*", "Type one or more words"),
        ("x" * 10_000, "the limit is 4,000"),
    ],
)
def test_odd_input_is_a_clear_error(builder, text, message):
    with pytest.raises(InvalidRequest, match=message):
        builder.parse(text)


@pytest.mark.parametrize(
    "text, tree",
    [
        ("foo:bar", "(all:foo OR all:bar)"),
        ("FVIII:C deficiency", "(all:fviii OR all:c OR all:defici)"),
        ("year:soon", "(all:year OR all:soon)"),
        ("type:2 diabetes", "(all:type OR all:2 OR all:diabet)"),
        ("sex:unknown", "(all:sex OR all:unknown)"),
        ("[**2148-10-1**]", "all:2148-10-1"),
        ("melanoma *", "all:melanoma"),
        ("mel*oma", "(all:mel AND all:oma)"),
        ("[a TO z]", "all:z"),
        ("title:[a TO z]", "all:z"),
        ("WBC 12.3* Hgb 9* K 2* today", "all:wbc"),
    ],
)
def test_what_is_no_valid_syntax_is_words(builder, text, tree):
    """Issue 17: pasted text is never refused for looking like syntax (an unknown field, an
    enum or year value no field takes, a * inside a word, a range of words)."""
    assert tree in describe(builder.parse(text).query)


def test_valid_syntax_still_works(builder):
    assert "AND year:[2015 TO 2019]" in describe(builder.parse("melanoma year:2015..2019").query)
    assert "AND sex:MALE" in describe(builder.parse("sex:male cancer").query)
    assert "all:immuno*" in describe(builder.parse("immuno*").query)


TOPICS = Path(__file__).parent / "data" / "queries" / "trec_ct_2021_topics.jsonl"


@pytest.mark.parametrize("line", TOPICS.read_text(encoding="utf-8").splitlines())
def test_pasted_patient_notes_parse(builder, line):
    """TREC CT 2021 topics with de-identified dates ([**2148-10-1**]) and bulleted lines
    (tests/data/queries/README.md): a query, not a 400."""
    text = json.loads(line)["text"]
    parsed = builder.parse(text)
    assert "all:" in describe(parsed.query)
    assert len(parsed.words) > 50


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced quote',
        "((melanoma",
        "melanoma)",
        "<script>alert(1)</script>",
        "a\x00b\x07c melanoma",
        "title:",
        "::",
        "NOT melanoma",
        "melanoma AND",
        "AND melanoma",
        "é ü 中文 melanoma",
        "100% 5-FU +/-",
        "[x TO y]",
        "melanoma^",
        "~2 melanoma",
    ],
)
def test_anything_typed_parses_or_is_invalid_never_crashes(builder, text):
    try:
        builder.parse(text)
    except InvalidRequest as e:
        assert str(e) and "\n" not in str(e)


def test_clean_and_plain_words():
    assert clean("  a\tb\x00c\r\nd  ") == "a b c d"
    assert plain_words('title:x "heart attack" AND IL-6 OR cd4+') == (
        "heart",
        "attack",
        "IL-6",
        "cd4+",
    )


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("induced hCG human year:2019..2023", "keywords"),
        ("cancer cell lines year:2019..2023 type:article", "keywords"),
        ("melanoma status:recruiting phase:2", "keywords"),
        ("does interleukin-2 help patients with metastatic melanoma year:1980..2020", "question"),
    ],
)
def test_the_shape_is_the_words_without_the_filters(text, shape):
    """A filter's words (year:2019..2023 is three) do not make keywords a question: the
    question shape ranks with feedback and requires no word."""
    parsed = QueryBuilder().parse(text)
    assert parsed.reading is not None and parsed.reading.shape == shape
    words = split_filters(text)[1]
    assert QueryBuilder().parse(words).reading.shape == shape  # the same words, no filter
