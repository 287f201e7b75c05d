"""The Xapian backend on the fixture records: the same totals, top ids, scores and facet counts
as the Whoosh backend (tests/conftest.py's index), for typed queries (search/syntax.py) and for
query trees built by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_engine import GOLDEN

from indexer.build import rebuild_index
from search import fields as f
from search import querytree as qt
from search.analysis import analyzer
from search.engine import SearchEngine
from search.errors import DocumentNotFound, IndexNotBuilt, InvalidRequest
from search.models import SearchRequest
from search.xapian import Reader
from search.xapian.engine import Parsed

DATA = Path(__file__).parent / "data"
FIXTURES = [DATA / "trials", DATA / "pubmed", DATA / "mesh"]
_ANALYZER = analyzer()


def build_xapian(paths: list[Path], index_dir: Path) -> Path:
    """Every record under `paths` built into a Xapian index by the real indexer."""
    report = rebuild_index([str(p) for p in paths], index_dir, backend="xapian")
    return Path(report.build_dir)


@pytest.fixture(scope="module")
def reader(xapian_index):
    """Whole-index statistics, as the Whoosh reader it is compared with (per record type:
    tests/test_xapian_types.py)."""
    return Reader(xapian_index, per_type=False)


@pytest.fixture(scope="module")
def whoosh(whoosh_index):
    """The Whoosh backend's reader, compared with Xapian's (no face in between), with
    whole-index statistics as Xapian scores (README: statistics per record type)."""
    return SearchEngine(whoosh_index, per_type=False).reader()


def words(text: str, field: str = f.ALL) -> qt.Node:
    terms = _ANALYZER.terms(text, mode="query")
    return qt.Or(tuple(qt.Term(field, t) for t in terms))


def run(reader, tree: qt.Node | None, **request) -> object:
    req = SearchRequest(**request)
    parsed = None if tree is None else Parsed(tree, tree, req.q, tuple(req.q.split()))
    return reader.search_parsed(req, parsed)


TYPED = [
    *(q for q, _ in GOLDEN),
    "neoplasms",
    "melanoma NOT interleukin",
    "title:melanoma",
    '"herniated disc"',
    "melanoma AND (interleukin OR vaccine)",
    "mesh:D008545",
    "cancer year:1977..1979",
    "phase:2 melanoma",
    "",
]


@pytest.mark.parametrize("q, top", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_queries(reader, q, top):
    hits = reader.search(SearchRequest(q=q)).hits
    assert [h.id for h in hits[: len(top)]] == top


@pytest.mark.parametrize("expand", ["synonyms", "explode", "none"])
@pytest.mark.parametrize("q", TYPED)
def test_typed_queries_as_on_whoosh(reader, whoosh, q, expand):
    req = SearchRequest(q=q, expand=expand)
    mine, theirs = reader.search(req), whoosh.search(req)
    assert (mine.total, mine.more, mine.partial) == (theirs.total, theirs.more, theirs.partial)
    assert (mine.parsed, mine.expansions) == (theirs.parsed, theirs.expansions)
    assert facets(mine) == facets(theirs)
    best = theirs.hits[0].score  # the first hit, up to ties that Whoosh's rounding makes
    assert mine.hits[0].id in {h.id for h in theirs.hits if h.score >= 0.99 * best}
    by_id = {h.id: h.score for h in theirs.hits}
    for hit in mine.hits:  # Whoosh stores field lengths in one byte: up to ~8% off
        if hit.id in by_id:
            assert hit.score == pytest.approx(by_id[hit.id], rel=0.08, abs=1e-3)


def test_partial_matches_follow_the_full_ones_as_on_whoosh(reader, whoosh):
    req = SearchRequest(q="melanoma interleukin-2", size=30)
    mine, theirs = reader.search(req), whoosh.search(req)
    assert mine.total == 4 and mine.more == theirs.more > 0
    assert [h.partial for h in mine.hits] == [h.partial for h in theirs.hits]
    assert {h.id for h in mine.hits} == {h.id for h in theirs.hits}
    second = reader.search(SearchRequest(q="melanoma interleukin-2", size=3, page=2))
    assert [h.partial for h in second.hits] == [False, True, True]


def test_a_prefix_scores_as_the_or_of_its_words(reader):
    """The query tree's contract (search/querytree.py); the Whoosh backend scores every match
    1.0 (Whoosh's constant-score prefix)."""
    prefix = run(reader, qt.Prefix(f.ALL, "melan"), q="melan*")
    words = [t.term.decode() for t in reader.state().db.allterms("melan")]
    assert len(words) > 1
    spelled = run(reader, qt.Or(tuple(qt.Term(f.ALL, w) for w in words)), q="melan*")
    assert [(h.id, h.score) for h in prefix.hits] == [(h.id, h.score) for h in spelled.hits]
    explode = run(reader, qt.Prefix(f.MESH_TREE, "C04.", boost=0.3, constant=True), q="x")
    assert explode.total and {h.score for h in explode.hits} <= {0.3, 0.15}


def test_an_m_of_n_query_matches_records_with_m_of_the_words(reader):
    """Or.minimum: an OR of ANDs when narrow, the match set from the parts when wide."""
    names = ["melanoma", "interleukin", "vaccin", "patient", "trial", "cancer", "therapi", "dose",
             "phase", "respons", "studi", "treatment"]  # fmt: skip
    children = tuple(qt.Term(f.ALL, w) for w in names)
    db = reader.state().db
    has = {w: {p.docid for p in db.postlist(w)} for w in names}
    for n, m in ((4, 3), (12, 9)):  # C(4,3) = 4 ANDs; C(12,9) = 220; C(12,7) = 792: masks
        for minimum in (m, m - 2):
            page = run(reader, qt.Or(children[:n], minimum=minimum), q="x", size=100)
            docids = {d for w in names[:n] for d in has[w]}
            want = {d for d in docids if sum(d in has[w] for w in names[:n]) >= minimum}
            assert page.total == len(want) > 0
            loose = run(reader, qt.Or(children[:n]), q="x", size=100)
            scores = {h.id: h.score for h in loose.hits}
            assert all(h.score == scores[h.id] for h in page.hits), "scored as the OR"


def test_mesh_concept_ranks_its_records_first(reader):
    concept = qt.DisMax(
        (
            words("prostate cancer"),
            qt.Term(f.MESH_UI, "D011471", boost=0.5),
            qt.Phrase(f.ALL, ("prostat", "neoplasm"), boost=0.4),
        )
    )
    page = run(reader, concept, q="prostate cancer")
    assert page.hits[0].id == "NCT00499317"
    plain = run(reader, words("prostate cancer"), q="prostate cancer")
    assert page.total >= plain.total


def test_a_concept_scores_its_best_alternative_whole(reader):
    """DisMax of (the words, the descriptor): a record matching the words scores at least what
    the words alone give it (Xapian's OP_MAX would take the best single word of an OR)."""
    alone = run(reader, words("prostate cancer"), q="prostate cancer")
    concept = qt.DisMax((words("prostate cancer"), qt.Term(f.MESH_UI, "D011471", boost=0.5)))
    best = {h.id: h.score for h in run(reader, concept, q="prostate cancer").hits}
    for hit in alone.hits:
        assert best[hit.id] >= hit.score


def test_id_alone_goes_to_its_record(reader):
    tree = qt.Or((qt.Term(f.ID, "NCT00003117", boost=1000.0), words("NCT00003117")))
    assert [h.id for h in run(reader, tree, q="NCT00003117").hits[:2]] == [
        "NCT00003117",
        "32951293",
    ]


def facets(page):
    return {x.name: {v.value: (v.count, v.selected) for v in x.values} for x in page.facets}


@pytest.mark.parametrize(
    "filters",
    [
        (),
        (("type", ("trial",)),),
        (("type", ("trial", "article")), ("phase", ("PHASE2",))),
        (("mesh", ("D008545",)), ("age", ("adult",))),
        (("pub_year", ("1978",)),),
    ],
)
def test_facets_count_as_on_whoosh(reader, whoosh, filters):
    mine = reader.search(SearchRequest(q="melanoma", filters=filters))
    theirs = whoosh.search(SearchRequest(q="melanoma", filters=filters))
    assert mine.total == theirs.total
    assert facets(mine) == facets(theirs)
    assert [x.label for x in mine.facets] == [x.label for x in theirs.facets]
    assert {(v.value, v.label) for x in mine.facets for v in x.values} == {
        (v.value, v.label) for x in theirs.facets for v in x.values
    }


def test_browse_with_filters_only(reader, whoosh):
    for filters in ((("status", ("COMPLETED",)),), (("mesh", ("D008545",)),), ()):
        mine = reader.search(SearchRequest(q="", filters=filters))
        theirs = whoosh.search(SearchRequest(q="", filters=filters))
        assert mine.total == theirs.total
        assert [h.id for h in mine.hits] == [h.id for h in theirs.hits]
        assert facets(mine) == facets(theirs)


def _dated(hit) -> bool:
    return bool(hit.fields.get("start_date") or hit.fields.get("date"))


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sorts_as_on_whoosh_undated_last(reader, whoosh, sort):
    mine = reader.search(SearchRequest(q="melanoma", sort=sort, size=50))
    theirs = whoosh.search(SearchRequest(q="melanoma", sort=sort, size=50))
    assert [h.id for h in mine.hits if _dated(h)] == [h.id for h in theirs.hits if _dated(h)]
    flags = [_dated(h) for h in mine.hits]
    assert flags == sorted(flags, reverse=True) and not flags[-1], "undated records last"
    assert all(h.score is None for h in mine.hits)


def test_paging(reader):
    first = reader.search(SearchRequest(q="cancer", size=5))
    second = reader.search(SearchRequest(q="cancer", size=5, page=2))
    assert first.total == second.total > 10
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    beyond = reader.search(SearchRequest(q="cancer", size=5, page=50))
    assert beyond.hits == () and beyond.total == first.total


def test_hits_carry_fields_and_marked_snippets(reader):
    page = reader.search(SearchRequest(q="melanoma interleukin-2"))
    hit = page.hits[0]
    assert hit.url == "/trial/NCT00002845" and hit.type == "trial"
    assert hit.fields["phases"] == ["PHASE2"] and hit.title.startswith("Interleukin-2")
    assert "<mark>melanoma</mark>" in hit.snippet and "<mark>Interleukin-2</mark>" in hit.snippet


def test_did_you_mean(reader):
    assert reader.search(SearchRequest(q="melanomma")).suggestion == "melanoma"
    assert reader.search(SearchRequest(q="infarktion")).suggestion == "infarction"
    assert reader.search(SearchRequest(q="melanoma")).suggestion is None


def test_a_prefix_standing_for_too_many_words_is_refused(reader):
    with pytest.raises(InvalidRequest, match="more letters"):
        run(reader, qt.Prefix(f.ALL, ""), q="*")
    # a constant prefix (MeSH explode of a large branch) is boolean: any number of words
    assert run(reader, qt.Prefix(f.ALL, "", constant=True), q="*").total == 77


def test_bad_requests_are_invalid(reader):
    with pytest.raises(InvalidRequest):
        reader.search(SearchRequest(q="x", sort="sideways"))
    with pytest.raises(InvalidRequest):
        reader.search(SearchRequest(q="x", filters=(("colour", ("red",)),)))


def test_get_status_and_errors(reader, tmp_path):
    assert reader.get("NCT00002845")["brief_title"].startswith("Interleukin-2")
    assert reader.get("D008545")["heading"] == "Melanoma"
    with pytest.raises(DocumentNotFound):
        reader.get("NCT99999999")
    status = reader.status()
    assert status["counts"] == {"trial": 25, "article": 26, "mesh": 26}
    assert status["backend"] == "xapian" and status["snapshots"]["ctgov"] == "2024-12-16"
    with pytest.raises(IndexNotBuilt, match="python -m indexer build"):
        Reader(tmp_path).status()


def test_the_face_opens_the_backend_recorded_in_the_index(xapian_index):
    engine = SearchEngine(xapian_index)
    assert engine.backend_name() == "xapian"
    assert engine.status()["backend"] == "xapian"
    engine.warm()


def test_patient_mode_as_on_whoosh(reader, whoosh):
    """A pasted note (tests/data/queries) in patient mode: the same reading, trials and
    scores (excluding trials x EXCLUDED_FACTOR) as the Whoosh backend."""
    import json

    line = (DATA / "queries" / "trec_ct_2021_topics.jsonl").read_text().splitlines()[0]
    req = SearchRequest(q=json.loads(line)["text"], mode="patient", size=50)
    mine, theirs = reader.search(req), whoosh.search(req)
    assert mine.reading == theirs.reading and mine.reading.eligible_first
    assert (mine.total, mine.parsed) == (theirs.total, theirs.parsed)
    assert {h.type for h in mine.hits} == {f.TRIAL}
    by_id = {h.id: h.score for h in theirs.hits}
    for hit in mine.hits:
        if hit.id in by_id:
            assert hit.score == pytest.approx(by_id[hit.id], rel=0.08, abs=1e-3)


def test_question_feedback_as_on_whoosh(reader, whoosh):
    req = SearchRequest(q="does interleukin-2 help patients with metastatic melanoma", size=20)
    mine, theirs = reader.search(req), whoosh.search(req)
    assert mine.reading.shape == "question"
    assert mine.total == theirs.total
    assert mine.hits[0].id in {h.id for h in theirs.hits[:3]}
    by_id = {h.id: h.score for h in theirs.hits}  # feedback's clause scored alike
    close = [h for h in mine.hits if h.id in by_id]
    assert len(close) > 10
    for hit in close:
        assert hit.score == pytest.approx(by_id[hit.id], rel=0.08, abs=1e-3)


@pytest.mark.parametrize("q", ["title:treating", "title:melanoma", "title:cancer"])
def test_a_short_page_holds_the_best_hits_of_a_fielded_word(reader, q):
    """A word of a field other than ALL is scored by a posting source (search/xapian/query.py):
    its idf must be in the source's weights, as Xapian 1.4 prunes a scaled source with an
    unscaled minimum and a page of one then held the wrong record (title:treating)."""
    best = [(h.id, h.score) for h in reader.search(SearchRequest(q=q, size=50)).hits]
    for size in (1, 2, 3, 5):
        page = reader.search(SearchRequest(q=q, size=size)).hits
        assert [h.score for h in page] == [s for _, s in best[:size]]
