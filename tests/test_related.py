"""search/related.py (+ related_similar.py, related_mesh.py): related items with their reasons,
on the fixture index, and on a second tiny index (tests/data/related/) holding the one kind of
explicit link the main fixtures lack: a trial citing an indexed article."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.engine import SearchEngine
from search.errors import DocumentNotFound
from search.related import _naming_reason
from search.related_mesh import MeshBook, narrower_query, overview
from search.related_rank import _at_least
from search.related_similar import key_terms

RELATED_DATA = Path(__file__).parent / "data" / "related"
MELANOMA_IL2 = ["NCT00006022", "NCT00002845", "NCT00002786"]


@pytest.fixture(scope="module")
def engine(index_dir):
    return SearchEngine(index_dir)


@pytest.fixture(scope="module")
def cited(tmp_path_factory):
    """An index of NCT00000160 and PMID 426679, which the trial cites (BACKGROUND)."""
    from indexer.build import rebuild_index

    path = tmp_path_factory.mktemp("related-index")
    rebuild_index([str(RELATED_DATA)], path)
    return SearchEngine(path)


def book_of(engine: SearchEngine) -> MeshBook:
    return MeshBook(engine.reader().view())


def ids(section) -> list[str]:
    return [item.id for item in section.items]


# -- trials ------------------------------------------------------------------------------------
def test_associated_trials_of_a_melanoma_il2_trial_are_the_other_melanoma_il2_trials(engine):
    related = engine.related("NCT00003222")
    assert (related.id, related.type) == ("NCT00003222", "trial")
    assert ids(related.trials)[:3] == MELANOMA_IL2
    assert "NCT00003222" not in ids(related.trials)
    first = related.trials.items[0]
    assert not hasattr(first, "url")  # page URLs are the web layer's (web/params.py page_url)
    assert first.title == (
        "Interleukin-2 Plus Bryostatin 1 in Treating Patients With Melanoma or Kidney Cancer"
    )
    assert first.reason.startswith(
        "same condition: Melanoma (Skin) · same intervention: aldesleukin · shares MeSH: Melanoma"
    )
    scores = [i.score for i in related.trials.items]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1.5 for s in scores)
    assert related.trials.total >= len(related.trials.items) and related.trials.explicit == 0


def test_a_trials_articles_start_with_the_article_naming_it_in_its_abstract(engine):
    articles = engine.related("NCT00003117").articles
    assert articles.explicit == 1
    first = articles.items[0]
    assert (first.id, first.type, first.score) == ("32951293", "article", None)
    assert first.reason == "names NCT00003117 in its abstract"
    assert first.title.startswith("Expanding Beyond Maximum Grade: Chemotherapy Toxicity")
    assert articles.items[1].id == "21933749"  # NSCLC, shares Lung Neoplasms
    assert articles.items[1].reason.startswith("shares MeSH: Lung Neoplasms")
    assert articles.total == len(articles.items) == 3


def test_hiding_explicit_links_leaves_similarity_alone(engine):
    articles = engine.related("NCT00003117", explicit=False).articles
    assert articles.explicit == 0
    assert all(item.score is not None for item in articles.items)


def test_a_trials_references_come_first_with_their_type(cited):
    articles = cited.related("NCT00000160").articles
    assert [(i.id, i.reason) for i in articles.items] == [
        ("426679", "cited by this trial as a BACKGROUND reference")
    ]
    assert (articles.total, articles.explicit) == (1, 1)
    trials = cited.related("426679").trials
    assert [(i.id, i.reason) for i in trials.items] == [
        ("NCT00000160", "cites this article as a BACKGROUND reference")
    ]


def test_mesh_definitions_and_topics_of_a_trial(engine):
    related = engine.related("NCT00003222")
    assert [(i.id, i.title, i.reason) for i in related.mesh.items] == [
        ("D008545", "Melanoma", "a condition of this trial"),
        ("D007376", "Interleukin-2", "an intervention of this trial"),
    ]
    assert related.mesh.items[0].note.startswith("A malignant neoplasm derived from cells")
    assert [(t.code, t.label, t.category) for t in related.topics][0] == (
        "C04",
        "Neoplasms",
        "Diseases",
    )
    assert related.topics[0].count == 31  # records in the `topic` facet C04


# -- articles ----------------------------------------------------------------------------------
def test_an_article_lists_the_trial_it_names_first(engine):
    related = engine.related("32951293")
    assert related.trials.items[0].id == "NCT00003117"
    assert related.trials.items[0].reason == "this article names NCT00003117 in its abstract"
    assert related.trials.items[1].id == "NCT00462995"  # NSCLC trial
    assert related.articles.items[0].id == "21933749"
    assert [(i.id, i.reason) for i in related.mesh.items] == [
        ("D002289", "a major topic of this article"),
        ("D008175", "a major topic of this article"),
    ]


def test_databanklist_reason(engine):
    record = engine.get("34091420")  # its DataBankList names NCT01909453 (not indexed)
    assert _naming_reason(record, "NCT01909453") == (
        "lists NCT01909453 in its DataBankList (trial registration)"
    )
    assert _naming_reason(engine.get("32951293"), "NCT00003117") == (
        "names NCT00003117 in its abstract"
    )


def test_key_terms_leave_out_compound_parts_and_rare_words(engine):
    terms = key_terms(engine.reader().view(), engine.get("NCT00003222"))
    words = [k.word for k in terms]
    assert "interleukin-2" in words and "IL-2" in words
    assert not {"il", "il2", "interleukin2", "2"} & {k.term for k in terms}
    assert len(terms) <= 20
    assert [k.weight for k in terms] == sorted((k.weight for k in terms), reverse=True)


def test_at_least_m_of_the_bitsets():
    sets = [0b0111, 0b0110, 0b1100]
    assert _at_least(sets, 1, 0b1111) == 0b1111
    assert _at_least(sets, 2, 0b1111) == 0b0110 | 0b0100
    assert _at_least(sets, 3, 0b1111) == 0b0100


# -- MeSH --------------------------------------------------------------------------------------
def test_a_descriptor_lists_broader_and_narrower_descriptors_and_newest_records(engine):
    related = engine.related("D008545")
    assert [(i.id, i.reason) for i in related.mesh.items] == [
        ("D018358", "broader descriptor (tree C04.557.465.625.650)"),
        ("D018326", "broader descriptor (tree C04.557.665)"),
    ]
    assert related.trials.total == 4 and set(ids(related.trials)) == set(MELANOMA_IL2) | {
        "NCT00003222"
    }
    assert related.trials.items[0].reason == "indexed with Melanoma"
    assert related.articles.total == 8


def test_narrower_records_say_which_descriptor(engine):
    related = engine.related("D009369")  # Neoplasms (C04): everything under it
    assert (related.trials.total, related.articles.total) == (7, 11)
    assert related.trials.items[0].id == "NCT00004988"  # indexed with Neoplasms itself
    assert related.trials.items[0].reason == "indexed with Neoplasms"
    reasons = {i.id: i.reason for i in related.trials.items}
    assert reasons["NCT00462995"] == "indexed with Lung Neoplasms, narrower than Neoplasms"
    assert [(i.id, i.reason) for i in related.mesh.items] == [
        ("D009370", "narrower descriptor (tree C04.557)")
    ]


def test_overview_counts_match_the_search_they_link_to(engine):
    from search.models import SearchRequest

    info = overview(book_of(engine), "D008545")
    assert info is not None
    assert info.query == (
        "mesh:D008545 OR mesh_tree:C04.557.465.625.650.510* OR "
        "mesh_tree:C04.557.580.625.650.510* OR mesh_tree:C04.557.665.510*"
    )
    assert (info.trials, info.trials_narrower, info.articles, info.articles_narrower) == (
        4,
        4,
        8,
        8,
    )
    assert info.by_status == (("COMPLETED", 3), ("UNKNOWN", 1))
    assert info.by_phase == (("PHASE2", 3), ("PHASE1", 2))
    assert info.by_year == (("1979", 4), ("1978", 1), ("1977", 3))
    for kind, total in (("trial", 4), ("article", 8)):
        page = engine.search(SearchRequest(q=info.query, filters=(("type", (kind,)),)))
        assert page.total == total
    page = engine.search(
        SearchRequest(q=info.query, filters=(("type", ("trial",)), ("status", ("COMPLETED",))))
    )
    assert page.total == 3
    [position] = [p for p in info.positions if p.tree_number == "C04.557.665.510"]
    assert [(t, d.heading if d else None) for t, d in position.broader] == [
        ("C04", "Neoplasms"),
        ("C04.557", "Neoplasms by Histologic Type"),
        ("C04.557.665", "Nevi and Melanomas"),
    ]


def test_narrower_of_neoplasms(engine):
    book = book_of(engine)
    neoplasms = book.get("D009369")
    assert neoplasms is not None and neoplasms.depth == 1
    assert narrower_query(neoplasms) == "mesh:D009369 OR mesh_tree:C04*"
    [position] = overview(book, "D009369").positions
    assert [(t, d.ui) for t, d in position.narrower] == [("C04.557", "D009370")]


def test_mesh_terms_resolve_by_padded_ui_or_name(engine):
    book = book_of(engine)
    assert book.get("D000008545").ui == "D008545"  # CT.gov JSON pads UIs
    assert book.named("melanoma").ui == "D008545"
    assert book.named("Anaemia").ui == "D000740"  # an entry term
    assert book.resolve("", "Lung Neoplasms").heading == "Lung Neoplasms"
    assert book.get("NCT00003222") is None and book.named("no such thing") is None


def test_unknown_ids_are_not_found(engine):
    for bad in ("NCT99999999", "", "D999999", "<script>"):
        with pytest.raises(DocumentNotFound):
            engine.related(bad)


def test_the_view_mesh_source_answers_expansions_look_ups(engine):
    """What the backends' own sources answered before ViewMeshSource replaced them."""
    from search.related_mesh import ViewMeshSource

    source = ViewMeshSource(engine.reader().view())
    keyed = {
        "melanoma": ("D008545", "Melanoma", 6),
        "neoplasm": ("D009369", "Neoplasms", 12),
        "anaemia": ("D000740", "Anemia", 3),
        "infarct myocardi": ("D009203", "Myocardial Infarction", 8),
    }
    for key, (ui, heading, entries) in keyed.items():
        [named] = source.descriptors_keyed(key)
        assert (named.ui, named.heading, len(named.entry_terms)) == (ui, heading, entries), key
    assert source.descriptors_keyed("no such key") == source.descriptors_keyed("") == []
    assert source.descriptor("D008545") == (
        "Melanoma",
        ("C04.557.465.625.650.510", "C04.557.580.625.650.510", "C04.557.665.510"),
        ("Melanoma", "Malignant Melanoma", "Malignant Melanomas", "Melanoma, Malignant",
         "Melanomas", "Melanomas, Malignant"),
    )  # fmt: skip
    assert source.descriptor("D000740") == (
        "Anemia",
        ("C15.378.071",),
        ("Anemia", "Anaemia", "Anemias"),
    )
    assert source.descriptor("D999999") is None
    assert source.descriptor("NCT00003222") is None  # a trial is no descriptor
    counts = {("C04",): 16, ("C04.557", "C04.557.665"): 10, ("Z99",): 0}
    for trees, count in counts.items():
        assert source.narrower_count(trees) == count, trees


# -- close matches and the search for more --------------------------------------------------
def test_close_matches_are_counted_and_come_first(engine):
    """NCT00003117 (lung cancer): of its 6 associated trials only NCT00462995 (lung cancer,
    shares Lung Neoplasms) scores at least half as high as the best; the others share words
    such as "quality of life" (a disc herniation trial, NCT00000410)."""
    trials = engine.related("NCT00003117").trials
    assert (trials.total, trials.strong, trials.close_items) == (6, 1, 1)
    assert ids(trials)[0] == "NCT00462995"
    best = trials.items[0].score
    assert all(i.score < best / 2 for i in trials.items[1:])
    assert trials.more_query.startswith("(mesh:D008175 OR ")
    assert trials.more_query.endswith(") NOT id:NCT00003117")
    assert trials.more_about.startswith("indexed with Lung Neoplasms, or naming ")


def test_the_search_for_more_lists_every_related_record(engine):
    from search.models import SearchRequest

    for record_id in ("NCT00003117", "NCT00003222", "32951293"):
        related = engine.related(record_id, limit=50)
        for kind, section in (("trial", related.trials), ("article", related.articles)):
            req = SearchRequest(q=section.more_query, filters=(("type", (kind,)),), size=100)
            found = {h.id for h in engine.search(req).hits}
            similar = {i.id for i in section.items if i.score is not None}
            assert similar <= found and record_id not in found, (record_id, kind)


def test_a_mesh_descriptor_has_no_close_match_count(engine):
    related = engine.related("D008545")
    assert related.trials.strong is None and related.trials.more_query == ""
