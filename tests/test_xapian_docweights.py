"""A field word ranked within a known match set is one posting source of its ranked documents'
own weights (search/xapian/docweights.py) instead of a source and a count term per wdf: the
same matches, order and scores to the bit, and a short page still holds the best hits."""

from __future__ import annotations

import pytest
import xapian
from test_xapian_search import QUERIES, parse, ranking

from search import fields as f
from search import querytree as qt
from search.models import SearchRequest
from search.scoring import stored_length
from search.xapian import Reader, docweights
from search.xapian.query import weighting
from search.xapian.schema import SLOT_ID


@pytest.fixture(scope="module")
def reader(xapian_index):
    return Reader(xapian_index)


def _ranked(reader, tree, req, per_doc: int, size: int = 200):
    """(ranking of `tree` within its match set, the query's posting sources, its count terms,
    the number of matches) with at most `per_doc` ranked holders mapped by document."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(docweights, "PER_DOC", per_doc)
        with reader.lock:
            st = reader.state()
            st.translator.reset()
            _, _, allowed, total = reader._match(st, req, tree)
            query = reader._ranked(st, tree, req, allowed)
            text = str(query)
            return (
                ranking(reader, st, query, size),
                text.count("PostingSource"),
                text.count("XTF:"),
                total,
            )


@pytest.mark.parametrize("text", QUERIES)
def test_one_source_per_word_ranks_as_a_source_per_wdf(reader, text):
    with reader.lock:
        _, req, found = parse(reader, text)
    for tree in (found.query, found.loose):
        if tree is None:
            continue
        mine, sources, counted, total = _ranked(reader, tree, req, docweights.PER_DOC)
        theirs, before, before_counted, _ = _ranked(reader, tree, req, 0)
        assert mine == theirs and len(mine) == min(total, 200)
        assert sources <= before and counted <= before_counted


@pytest.mark.parametrize(
    "tree",
    [
        qt.AndMaybe(qt.Term(f.ALL, "melanoma"), qt.Term(f.ASIDE, "patient")),
        qt.And((qt.Term(f.ALL, "melanoma"), qt.Term(f.ASIDE, "diseas"))),
        qt.Or((qt.Term(f.ASIDE, "melanoma"), qt.Term(f.ASIDE, "therapi"))),
    ],
)
def test_a_word_ranked_within_a_few_documents_needs_no_count_terms(reader, tree):
    """Its wdfs come from its postings (read once): no count term and fewer sources."""
    req = SearchRequest(q="x")
    mine, sources, counted, total = _ranked(reader, tree, req, docweights.PER_DOC)
    theirs, before, before_counted, _ = _ranked(reader, tree, req, 0)
    assert total and mine == theirs
    assert counted == 0 < before_counted
    assert sources < before


@pytest.mark.parametrize("text", ["aside:melanoma", "melanoma patient", "aside:patient", "cancer"])
def test_a_short_page_holds_the_best_hits_with_one_source_per_word(reader, text):
    """A per-document source's maximum is its largest weight, not every length's: Xapian may
    prune with it, and the first hits stay those of the whole ranking."""
    with reader.lock:
        _, req, found = parse(reader, text)
        st = reader.state()
        st.translator.reset()
        _, _, allowed, total = reader._match(st, req, found.query)
        query = reader._ranked(st, found.query, req, allowed)
        assert "slot=0" in str(query)  # ranked by record ids (SLOT_ID)
        every = ranking(reader, st, query, st.db.get_doccount())
        assert len(every) == total
        for size in (1, 2, 3, 5, 10):
            enquire = reader._enquire(st)
            enquire.set_weighting_scheme(weighting(reader.k1, reader.b))
            enquire.set_query(query)
            page = [(m.docid, m.weight) for m in enquire.get_mset(0, size)]
            assert page == every[:size]


def test_the_record_ids_are_each_documents_id_value(reader):
    with reader.lock:
        st = reader.state()
        ids = st.translator.docs.ids()
        assert len(ids) == st.db.get_lastdocid() + 1
        for docid in range(1, st.db.get_lastdocid() + 1, 97):
            doc = st.db.get_document(docid)
            assert ids[docid] == doc.get_value(SLOT_ID).decode("utf-8")


PAGES = [*QUERIES, "Electroconvulsive Therapy", "Melanoma Cutaneous Malignant", "Skin Neoplasms",
         "Interleukin-2 Receptors", "Breast Neoplasms Drug Therapy",
         "Intervertebral Disc Displacement"]  # fmt: skip


@pytest.mark.parametrize("text", PAGES)
def test_every_short_page_of_a_ranking_is_the_start_of_the_whole(reader, text):
    """The full matches and the partial ones (ranked after them, as the reader ranks them),
    pages of 1 to 12 against the ranking of every match: Xapian prunes with each source's
    maximum (see docweights.py's NO_END)."""
    with reader.lock:
        st, req, found = parse(reader, text)
        st.translator.reset()
        _, _, allowed, total = reader._match(st, req, found.query)
        rankings = [(found.query, allowed, None)] if total else []
        if found.loose is not None:
            _, _, loose, _ = reader._match(st, req, found.loose)
            rankings.append((found.loose, loose & ~allowed, found.query if total else None))
        for tree, mask, after in rankings:
            if not mask.any():
                continue
            every = reader._pool(st, req, tree, mask, 0, 10_000, after)
            assert len(every[0]) == int(mask.sum())
            for size in range(1, 13):
                docids, scores = reader._pool(st, req, tree, mask, 0, size, after)
                assert docids == every[0][:size]
                assert [scores[d] for d in docids] == [every[1][d] for d in docids]


def test_a_per_document_source_never_ends_before_the_matches_do(reader):
    """Its maximum once scaled is NO_END, above any score (mapped to no document), so that
    Xapian never ends it early on a minimum weight (on the full data one too high left a hit
    out); the ranked holders weigh what their wdf and length give, the others 0."""
    tree = qt.AndMaybe(qt.Term(f.ALL, "melanoma"), qt.Term(f.ASIDE, "patient"))
    req = SearchRequest(q="x")
    with reader.lock:
        st = reader.state()
        st.translator.reset()
        _, _, allowed, _ = reader._match(st, req, tree)
        reader._ranked(st, tree, req, allowed)
        made = {k: v for k, v in st.translator.docs._made.items() if v is not None}
        assert made
        for (_, key, kind, factor), query in made.items():
            ranked = allowed & st.tables.term(f.TYPE, kind)
            (source,) = query._ps  # the bindings keep the query's sources
            source.init(st.db)
            assert source.get_maxweight() * factor == pytest.approx(docweights.NO_END)
            enquire = xapian.Enquire(st.db)
            enquire.set_query(xapian.Query(xapian.Query.OP_FILTER, query, xapian.Query(key)))
            found = enquire.get_mset(0, st.db.get_doccount())
            assert found.size() == st.db.get_termfreq(key)
            for m in found:
                assert (m.weight > 0) == bool(ranked[m.docid])


@pytest.fixture(scope="module")
def exact_reader(tmp_path_factory):
    """A build of the fixtures from before search/scoring.py's stored_length: each field's
    exact length in its slot (searches score it as stored now)."""
    from conftest import FIXTURE_SOURCES

    from indexer.build import rebuild_index
    from search.xapian import schema

    path = tmp_path_factory.mktemp("exact-lengths")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(schema, "_length_text", str)  # (the writer's cached stored_length text)
        rebuild_index([str(p) for p in FIXTURE_SOURCES], path, backend="xapian")
    return Reader(path)


@pytest.mark.parametrize(
    "text", ["melanoma patient", "aside:patient", "cancer", "herniated disc surgery"]
)
def test_a_build_with_exact_lengths_ranks_as_a_source_per_wdf(exact_reader, text):
    """The documents' weights score the length as stored now, as sources.py's maps do."""
    with exact_reader.lock:
        st = exact_reader.state()
        table = st.translator.sources.table(f.ASIDE)
        assert (stored_length(table.distinct) != table.distinct).any()  # exact lengths
        _, req, found = parse(exact_reader, text)
    mine, sources, counted, total = _ranked(exact_reader, found.query, req, docweights.PER_DOC)
    theirs, before, before_counted, _ = _ranked(exact_reader, found.query, req, 0)
    assert total and mine == theirs
    assert sources < before or counted < before_counted  # one source per word was used
