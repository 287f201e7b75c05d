"""search/xapian/related.py (+ relatedreads.py): related items' similar records ranked by
Xapian matches, on one database and on shards, against the neutral ranking
(search/related_rank.py `rank`) of the same records scoring every candidate exactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import xapian

from indexer.build import rebuild_index
from search import fields as f
from search import related_mesh
from search.bitsets import iter_bits
from search.engine import SearchEngine
from search.related_mesh import MeshBook
from search.related_rank import ViewSimilar, rank
from search.related_similar import DEFAULT, Profile, concepts, key_terms
from search.xapian import related as xrelated
from search.xapian import view as xview
from search.xapian.related import XapianSimilar, at_least
from search.xapian.relatedreads import any_of
from search.xapian.schema import term

DATA = Path(__file__).parent / "data"
SOURCES = [
    DATA / "trials" / "xml",
    DATA / "trials" / "both" / "xml",
    DATA / "pubmed",
    DATA / "mesh",
]
EXACT = replace(DEFAULT, rerank=10**6)  # the neutral ranking's exact score for every candidate


def build(path: Path, shards: int) -> Path:
    rebuild_index([str(p) for p in SOURCES], path, backend="xapian", shards=shards)
    return path


@pytest.fixture(scope="module")
def one(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("related-one"), 1)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("related-shards"), 2)


def profile_of(view, record_id: str) -> Profile:
    docnum = view.docnum(record_id)
    record = view.record(docnum)
    return Profile(docnum, concepts(MeshBook(view), record), key_terms(view, record))


def records(view) -> list[str]:
    heads = [view.head(d) for d in iter_bits(view.live)]
    return sorted(h.id for h in heads if h.type in (f.TRIAL, f.ARTICLE))


def same_ranking(a, b) -> None:
    assert (a.total, a.strong) == (b.total, b.strong)
    assert a.floor == pytest.approx(b.floor, rel=1e-12)
    assert [(h.docnum, h.shared, h.words) for h in a.hits] == [
        (h.docnum, h.shared, h.words) for h in b.hits
    ]
    assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits], rel=1e-12)


@pytest.mark.parametrize(("limit", "window"), [(3, xrelated.STRONG_WINDOW), (10, 10), (3, 1)])
def test_the_ranking_is_the_neutral_one_scoring_every_candidate(
    xapian_index, limit, window, monkeypatch
):
    """(`window`: the candidates a ranking returns to count the strong ones; past them a
    match counts them.)"""
    monkeypatch.setattr(xrelated, "STRONG_WINDOW", window)
    view = SearchEngine(xapian_index).reader().view()
    similar = XapianSimilar(view.db)
    compared = 0
    for record_id in records(view):
        profile = profile_of(view, record_id)
        for target in (f.TRIAL, f.ARTICLE):
            # an explicit link of the record, left out of both rankings
            exclude = 0
            for d in iter_bits(view.term(f.TYPE, target)):
                if d != profile.docnum:
                    exclude = 1 << d
                    break
            expected = rank(view, profile, target, limit, exclude, EXACT)
            same_ranking(similar.rank(view, profile, target, limit, exclude, DEFAULT), expected)
            compared += len(expected.hits)
    assert compared >= 200


def test_shards_rank_as_one_database(one, sharded):
    one = SearchEngine(one).reader().view()
    shards = SearchEngine(sharded).reader().view()
    a, b = XapianSimilar(one.db), XapianSimilar(shards.db)
    for record_id in records(one)[::4]:
        pa, pb = profile_of(one, record_id), profile_of(shards, record_id)
        for target in (f.TRIAL, f.ARTICLE):
            x = a.rank(one, pa, target, 10, 0, DEFAULT)
            y = b.rank(shards, pb, target, 10, 0, DEFAULT)
            assert (x.total, x.strong) == (y.total, y.strong), record_id
            heads = lambda r, v: [(v.head(h.docnum).id, round(h.score, 9)) for h in r.hits]  # noqa: E731
            assert sorted(heads(x, one)) == sorted(heads(y, shards)), record_id


def test_related_items_on_shards_read_no_key_terms_documents(sharded, monkeypatch):
    """The candidates are matched and scored on the shards: the reader reads none of the
    record's key terms' documents (each a whole posting list through the network)."""
    read: list[str] = []
    whole = xview.postings
    monkeypatch.setattr(xview, "postings", lambda db, key, n: read.append(key) or whole(db, key, n))
    engine = SearchEngine(sharded)
    related = engine.related("NCT00003222")
    assert related.trials.items and related.articles.items
    terms = {k.term for k in profile_of(engine.reader().view(), "NCT00003222").terms}
    assert terms and not terms & set(read)


def test_at_least_matches_documents_holding_m_of_the_terms(xapian_index):
    db = SearchEngine(xapian_index).reader().view().db
    words = ["melanoma", "interleukin", "cancer", "patient", "tumor", "study", "cell"]
    held = {w: {p.docid for p in db.postlist(w)} for w in words}
    for n in (3, 4, 7):
        for m in range(1, n + 1):
            enquire = xapian.Enquire(db)
            enquire.set_query(at_least(m, words[:n]))
            found = {item.docid for item in enquire.get_mset(0, db.get_doccount())}
            every = set().union(*(held[w] for w in words[:n]))
            assert found == {d for d in every if sum(d in held[w] for w in words[:n]) >= m}
            assert found or m > 3


def test_at_least_of_ten_terms_reads_fewer_posting_lists():
    """2 of 10 terms (related items' candidates): 34 posting lists (a term and one of those
    after it, for each term: 54)."""
    keys = [f"w{i}" for i in range(10)]
    assert sum(str(at_least(2, keys)).count(k) for k in keys) == 34


def test_counts_and_frequencies(xapian_index, sharded):
    for path in (xapian_index, sharded):
        view = SearchEngine(path).reader().view()
        similar = XapianSimilar(view.db)
        assert similar.count(f.MESH_CAT, "C04") == view.term(f.MESH_CAT, "C04").bit_count() > 0
        assert similar.count(f.MESH_CAT, "X" * 300) == 0
        words = ["melanoma", "interleukin", "zzzyx", "x" * 300]
        expected = {w: view.doc_frequency(f.ALL, w) if len(w) < 300 else 0 for w in words}
        assert similar.doc_frequencies(words) == expected
        assert similar.doc_frequencies(words) == expected  # kept


def test_newest_records_as_the_view_dates_them(xapian_index):
    reader = SearchEngine(xapian_index).reader()
    view = reader.view()
    with reader.locked():
        dates = reader.state().tables.numbers[f.DATE]
    by_view = ViewSimilar(view)
    sets = [view.live, view.term(f.TYPE, f.TRIAL), view.term(f.MESH_UI, "D008545"), 0]
    for bits in sets:
        for n in (1, 5, 1000):
            expected = by_view.newest(bits, n)
            assert XapianSimilar(view.db, dates).newest(bits, n) == expected
            assert XapianSimilar(view.db).newest(bits, n) == expected
    assert len(by_view.newest(view.live, 5)) == 5


def test_a_descriptors_records_are_dated_without_reading_them(sharded, monkeypatch):
    """A MeSH descriptor's newest records come from the dates read with the build (at 10x a
    descriptor's thousands of records were read one by one, a round trip each)."""
    engine = SearchEngine(sharded)
    expected = engine.related("D008545")
    assert expected.trials.items and expected.articles.items

    def dated(view, docnum):
        raise AssertionError("a document read for its date")

    monkeypatch.setattr(xview.XapianView, "date", dated)
    assert SearchEngine(sharded).related("D008545") == expected


@pytest.mark.parametrize("which", ["one", "sharded"])
def test_a_ranking_is_matched_once_and_its_heads_come_with_its_reasons(which, request, monkeypatch):
    """The listed records' ids (the reader's ids array) and titles (the sort key of the match
    that finds their reasons) come without matching the ranking again (over shards it was,
    for their ids and titles: a second ranking match a list) or reading a document."""
    view = SearchEngine(request.getfixturevalue(which)).reader().view()
    similar = XapianSimilar(view.db)
    profiles = [profile_of(view, record_id) for record_id in records(view)[::3]]
    for profile in profiles:  # the term frequencies read (kept)
        similar.rank(view, profile, f.TRIAL, 10, 0, DEFAULT)
    matched: list[bytes] = []
    get_mset = xapian.Enquire.get_mset

    def counted(enquire, *args):
        matched.append(enquire.get_query().serialise())
        return get_mset(enquire, *args)

    read: set[int] = set()
    get_document = xapian.Database.get_document

    def reading(db, docid, *args):
        read.add(docid)
        return get_document(db, docid, *args)

    monkeypatch.setattr(xapian.Enquire, "get_mset", counted)
    monkeypatch.setattr(xapian.Database, "get_document", reading)
    hits = []
    for profile in profiles:
        for target in (f.TRIAL, f.ARTICLE):
            matched.clear()
            read.clear()
            hits += similar.rank(view, profile, target, 10, 0, DEFAULT).hits
            assert len(matched) == len(set(matched)), "a query matched twice"
            assert read <= {profile.docnum}  # (the record itself: read for its type)
    monkeypatch.undo()
    assert len(hits) > 50
    assert all(hit.head == view.head(hit.docnum) for hit in hits)


def test_shards_count_a_descriptor_per_type_without_asking_its_total(sharded, monkeypatch):
    """Over shards a descriptor's count per type is one match (a spy on the type): its total
    is not matched for first (one more match a record)."""
    view = SearchEngine(sharded).reader().view()
    matched: list[str] = []
    get_mset = xapian.Enquire.get_mset

    def counted(enquire, *args):
        matched.append(str(enquire.get_query()))
        return get_mset(enquire, *args)

    monkeypatch.setattr(xapian.Enquire, "get_mset", counted)
    checked = 0
    for record_id in records(view):
        profile = profile_of(view, record_id)
        keys = [term(f.MESH_UI, c.descriptor.ui) for c in profile.concepts]
        if len(keys) < 2:
            continue
        matched.clear()
        XapianSimilar(view.db).rank(view, profile, f.ARTICLE, 10, 0, DEFAULT)
        assert str(any_of([xapian.Query(k) for k in keys])) not in matched
        assert sum(q == str(xapian.Query(k)) for q in matched for k in keys) == len(set(keys))
        checked += 1
    assert checked >= 3


def looked_up(record) -> list[str]:
    """The ids of a record's descriptors and of the records it cites or names."""
    if record["type"] == f.TRIAL:
        uis = [m["ui"] for m in record["condition_mesh"] + record["intervention_mesh"]]
        return uis + [r["pmid"] for r in record["references"] if r["pmid"]]
    return [h["ui"] for h in record["mesh_headings"]] + record["nct_ids"]


def test_shards_read_a_records_descriptors_and_references_in_one_batch(sharded, monkeypatch):
    """The descriptors and cited records a related call looks up by id are read ahead (one
    match and one batch of documents), not each found by its id term and read alone."""
    view = SearchEngine(sharded).reader().view()
    found = {}
    for record_id in records(view):
        ids = looked_up(view.record(view.docnum(record_id)))
        found[record_id] = [i for i in ids if view.docnum(i) is not None]
    record_id = max(found, key=lambda r: len(found[r]))
    wanted = found[record_id]
    assert len(wanted) >= 3
    expected = SearchEngine(sharded).related(record_id)
    engine = SearchEngine(sharded)
    monkeypatch.setattr(related_mesh, "_caches", {})  # (the descriptors not known yet)
    looked: list[str] = []
    read: list[int] = []
    postlist, get_document = xapian.Database.postlist, xapian.Database.get_document
    monkeypatch.setattr(
        xapian.Database, "postlist", lambda db, t: looked.append(t) or postlist(db, t)
    )
    monkeypatch.setattr(
        xapian.Database,
        "get_document",
        lambda db, d, *a: read.append(d) or get_document(db, d, *a),
    )
    assert engine.related(record_id) == expected
    assert not {f"Q{i}" for i in wanted} & set(looked)
    assert not {view.docnum(i) for i in wanted} & set(read)


def test_shards_read_a_trials_similar_trials_in_one_batch(sharded, monkeypatch):
    """A trial's similar trials, whose records are read (their conditions and interventions
    compared), are read ahead in one batch, not one by one."""
    engine = SearchEngine(sharded)
    view = engine.reader().view()
    trials = [engine.related(r) for r in records(view) if r.startswith("NCT")]
    expected = max(trials, key=lambda r: len(r.trials.items))
    trial = expected.id
    listed = [view.docnum(i.id) for i in expected.trials.items]
    assert len(listed) >= 3
    read: list[int] = []
    get_document = xapian.Database.get_document
    monkeypatch.setattr(
        xapian.Database,
        "get_document",
        lambda db, d, *a: read.append(d) or get_document(db, d, *a),
    )
    assert SearchEngine(sharded).related(trial) == expected
    assert not set(listed) & set(read)
