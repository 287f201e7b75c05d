"""search/view.py: related items, MeSH pages and did-you-mean are written once, over the index
view; the Whoosh and the Xapian backends' views give the same answers on the same records.

The records are a fixture subset with no replaced or deleted copies: Whoosh's term statistics
count a deleted copy until its segment is merged, Xapian's never do, and key terms depend on
them. Scores differ a little (Whoosh keeps a document's length in one byte), so they are
compared within a tolerance, and items whose scores are that close may swap places.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_xapian import build_xapian

from indexer.build import rebuild_index
from search.bitsets import bits_from_docs, iter_bits
from search.engine import SearchEngine
from search.models import SearchRequest
from search.related import find_related
from search.related_mesh import MeshBook, overview
from search.spelling import suggest
from search.xapian.schema import WDF_SCALE, term
from search.xapian.view import FEW_POSTINGS

DATA = Path(__file__).parent / "data"
PATHS = [DATA / "trials" / "xml", DATA / "mesh", DATA / "pubmed"]
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> dict[str, Path]:
    """The subset built by each backend."""
    out = {name: tmp_path_factory.mktemp(f"view-{name}") for name in ("whoosh", "xapian")}
    rebuild_index([str(p) for p in PATHS], out["whoosh"])
    build_xapian(PATHS, out["xapian"])
    return out


@pytest.fixture(scope="module")
def views(dirs):
    return {name: SearchEngine(path).reader().view() for name, path in dirs.items()}


def record_ids(view) -> list[str]:
    return sorted(view.head(d).id for d in iter_bits(view.live))


def test_both_views_hold_the_same_records(views):
    assert record_ids(views["whoosh"]) == record_ids(views["xapian"])
    assert len(record_ids(views["whoosh"])) == 64


def _section(section) -> tuple[dict[str, tuple[str, float | None]], int, int]:
    return {i.id: (i.reason, i.score) for i in section.items}, section.total, section.explicit


@pytest.mark.parametrize("explicit", [True, False])
def test_related_items_agree(views, explicit):
    compared = 0
    for record_id in record_ids(views["whoosh"]):
        w = find_related(views["whoosh"], record_id, explicit=explicit)
        x = find_related(views["xapian"], record_id, explicit=explicit)
        assert (w.mesh, w.topics) == (x.mesh, x.topics), record_id
        for name in ("trials", "articles"):
            (wi, wt, we), (xi, xt, xe) = _section(getattr(w, name)), _section(getattr(x, name))
            assert (wt, we, wi.keys()) == (xt, xe, xi.keys()), (record_id, name)
            for item_id, (reason, score) in wi.items():
                assert xi[item_id][0] == reason, (record_id, item_id)
                if score is not None:
                    assert abs(xi[item_id][1] - score) <= TOLERANCE, (record_id, item_id)
            ws, xs = getattr(w, name).items, getattr(x, name).items
            if ws:
                assert ws[0].id == xs[0].id, (record_id, name)
            compared += len(wi)
    assert compared > 400


def test_mesh_pages_agree(views):
    for ui in record_ids(views["whoosh"]):
        if ui.startswith("D"):
            assert overview(MeshBook(views["whoosh"]), ui) == overview(
                MeshBook(views["xapian"]), ui
            )
    melanoma = overview(MeshBook(views["xapian"]), "D008545")
    assert melanoma is not None and melanoma.trials == 4


@pytest.mark.parametrize(
    ("word", "expected"),
    [("infarktion", "infarction"), ("melanomma", "melanoma"), ("canser", "cancer"),
     ("tretment", "treatment"), ("melanoma", None), ("xyzzyqq", None)],
)  # fmt: skip
def test_suggestions_agree(views, word, expected):
    assert suggest(views["whoosh"], word, (word,)) == expected
    assert suggest(views["xapian"], word, (word,)) == expected


def test_the_xapian_reader_answers_related_items_and_mesh_pages(dirs):
    engine = SearchEngine(dirs["xapian"])
    assert engine.backend_name() == "xapian"
    related = engine.related("NCT00003222")
    assert [i.id for i in related.trials.items][:3] == ["NCT00006022", "NCT00002845", "NCT00002786"]
    assert related.mesh.items[0].title == "Melanoma"
    first = engine.related("32951293").trials.items[0]
    assert (first.id, first.reason) == (
        "NCT00003117",
        "this article names NCT00003117 in its abstract",
    )
    info = engine.mesh_overview("D008545")
    assert info is not None and (info.trials, info.articles) == (4, 8)
    assert engine.mesh_overview("NCT00003222") is None
    typed = SearchRequest(q="Melanomma IL-2", spell="off")
    assert engine.search(typed).suggestion == "melanoma IL-2"
    corrected = engine.search(SearchRequest(q="Melanomma IL-2"))  # the face corrects it
    assert (corrected.corrected, corrected.request.q) == ("melanoma IL-2", "Melanomma IL-2")


@pytest.mark.parametrize(
    ("field", "prefix"), [("all", ""), ("all", "mela"), ("mesh_tree", "C04."), ("mesh_ui", "")]
)
def test_terms_under_agree(views, field, prefix):
    """The same vocabulary, in the same order (ALL's terms are unprefixed on Xapian: the other
    fields' terms are not among them)."""
    words = views["whoosh"].terms_under(field, prefix)
    assert views["xapian"].terms_under(field, prefix) == words and words


def test_xapian_term_sets_and_weights_are_read_from_the_postlists(views):
    """A term's documents, read one by one (up to FEW_POSTINGS) or by a boolean match (more),
    and its frequencies at some of them, are its postlist's (as Xapian's iterator gives it)."""
    view = views["xapian"]
    seen = {"few": 0, "many": 0}
    for field, prefix in (("all", "p"), ("type", ""), ("mesh_ui", "D00")):
        for value in view.terms_under(field, prefix):
            postings = list(view.db.postlist(term(field, value)))
            docs = [p.docid for p in postings]
            assert view.term(field, value) == bits_from_docs(docs, view.size), (field, value)
            seen["few" if len(docs) <= FEW_POSTINGS else "many"] += 1
            some = postings[::2]
            wdf = {p.docid: p.wdf / WDF_SCALE for p in some}
            assert view.weights(field, value, [p.docid for p in some]) == wdf
    assert min(seen.values()) >= 3, seen
    assert view.term("all", "") == view.term("all", "x" * 300) == 0  # no term, too long a term


@pytest.mark.parametrize(
    ("field", "prefix"),
    [("mesh_tree", "C04."), ("mesh_tree", "C"), ("mesh_ui", "D00"), ("all", "mela")],
)
def test_union_under_is_the_union_of_the_terms(views, field, prefix):
    """Xapian's one wildcard match (ALL: a look-up per term) and Whoosh's look-ups per term
    give the same records: those holding a term under the prefix."""
    found = {}
    for name, view in views.items():
        loop = 0
        for value in view.terms_under(field, prefix):
            loop |= view.term(field, value)
        bits = view.union_under(field, prefix)
        assert bits == loop and bits, name
        found[name] = sorted(view.head(d).id for d in iter_bits(bits))
    assert found["whoosh"] == found["xapian"]


def test_one_databases_spelling_walks_a_letters_vocabulary_once(dirs, walks):
    """A correction walks every word of its first letter (4-8 ms a letter on the full data):
    one database's view keeps the words it walked, as a sharded one does, and a second
    misspelling of the same letter walks none; the same suggestions."""
    from search import fields as f

    misspelt = ("leukemai", "lekemia melanoma", "leukeima")
    wanted = [SearchEngine(dirs["xapian"]).search(SearchRequest(q=q)).suggestion for q in misspelt]
    assert all(wanted)
    walked = walks()
    engine = SearchEngine(dirs["xapian"])
    assert [engine.search(SearchRequest(q=q)).suggestion for q in misspelt] == wanted
    assert walked.count((f.SPELL, "l")) == 1
