"""search/explanation.py: the "Search details" in sentences, on the fixture index."""

from __future__ import annotations

import pytest

from search import SearchEngine, SearchRequest, explain


@pytest.fixture(scope="module")
def engine(index_dir):
    return SearchEngine(index_dir)


def sentences(engine, q: str, **kw) -> tuple[str, ...]:
    return explain(engine.search(SearchRequest(q=q, **kw))).sentences


def test_two_concepts_both_required_with_their_mesh_descriptors(engine):
    assert sentences(engine, "melanoma interleukin-2") == (
        "Trials, articles and MeSH descriptors matching melanoma (MeSH: Melanoma) AND "
        "interleukin-2 (MeSH: Interleukin-2).",
        "A record must match both concepts.",
        "After those, 17 records matching only some of the words, ranked lower.",
        "A MeSH term also matches its synonyms and the records indexed with its descriptor.",
    )


def test_a_mesh_phrase_is_one_concept_and_a_type_filter_names_the_records(engine):
    got = sentences(engine, '"breast cancer" tamoxifen', filters=(("type", ("trial",)),))
    assert got[:2] == (
        'Trials matching "breast cancer" (MeSH: Breast Neoplasms) AND tamoxifen.',
        "A record must match both concepts.",
    )


def test_a_long_query_needs_a_share_of_its_concepts(engine):
    got = sentences(engine, "how does the 5-FU work in colon cancer patients today")
    assert got[1] == (
        "A record must match at least 5 of these 6 concepts (a query of more than 4 concepts "
        "needs 75% of them)."
    )
    assert "Only adding to the score, not required: how, does." in got
    assert "Ignored as too common: the, in." in got


def test_field_filters_in_the_query_and_boolean_queries(engine):
    got = sentences(engine, "herniated disc status:completed")
    assert got[0] == (
        "Trials, articles and MeSH descriptors matching herniated AND disc, with status:completed."
    )
    assert sentences(engine, "melanoma AND NOT uveal") == (
        "Trials, articles and MeSH descriptors matching your query as written: "
        "melanoma AND NOT uveal",
        "AND, OR, NOT, parentheses and field: clauses apply as you typed them.",
    )


def test_expansion_modes_and_a_correction(engine):
    assert sentences(engine, "melanoma", expand="none")[-1] == (
        "MeSH expansion is off: only the words as typed are searched."
    )
    assert sentences(engine, "melanoma", expand="explode")[-1] == (
        "A MeSH term also matches its synonyms and the records indexed with its descriptor, "
        "and those indexed with a narrower one."
    )
    assert sentences(engine, "melenoma")[:2] == (
        "Searched for melanoma instead of melenoma: the words as typed found (almost) nothing, "
        "and the correction is confident.",
        "Trials, articles and MeSH descriptors matching melanoma (MeSH: Melanoma).",
    )


def test_no_words(engine):
    assert sentences(engine, "") == ("Trials, articles and MeSH descriptors: all.",)
    assert sentences(engine, "", filters=(("type", ("article", "mesh")),)) == (
        "Articles and MeSH descriptors: every one the filters allow.",
    )
