"""A field word's rare wdfs (count terms held by few documents) are one posting source of their
documents' weights (search/xapian/rarewdfs.py) instead of a source each: the same matches,
order and scores to the bit, with fewer sources in the query sent."""

from __future__ import annotations

import pytest
from test_xapian_search import QUERIES, parse, ranking

from search import fields as f
from search import querytree as qt
from search.models import SearchRequest
from search.xapian import Reader, rarewdfs
from search.xapian.schema import TF_MARK, TF_PREFIX, term


@pytest.fixture(scope="module")
def reader(xapian_index):
    return Reader(xapian_index)


def _ranked(reader, tree, req, rare: int, size: int = 200):
    """(the ranking of `tree` over every document, the query's posting sources, its matches)
    with count terms held by at most `rare` documents scored as rare wdfs."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rarewdfs, "RARE_WDF", rare)
        with reader.lock:
            st = reader.state()
            st.translator.reset()
            query = reader._ranked(st, tree, req)
            found = ranking(reader, st, query, size)
            return found, str(query).count("PostingSource"), len(found)


def _counted(reader, field: str, word: str) -> list[int]:
    """The frequencies of the count terms of `word` in `field`."""
    with reader.lock:
        db = reader.state().db
        return [t.termfreq for t in db.allterms(TF_PREFIX + term(field, word) + TF_MARK)]


@pytest.mark.parametrize("text", QUERIES)
def test_rare_wdfs_rank_as_a_source_per_wdf(reader, text):
    with reader.lock:
        _, req, found = parse(reader, text)
    for tree in (found.query, found.loose):
        if tree is None:
            continue
        mine, sources, total = _ranked(reader, tree, req, rarewdfs.RARE_WDF)
        theirs, before, _ = _ranked(reader, tree, req, 0)
        assert mine == theirs
        assert sources <= before


@pytest.mark.parametrize("word", ["patient", "diseas", "melanoma"])
def test_a_word_with_rare_wdfs_is_fewer_sources(reader, word):
    """Each of the word's wdfs held by few documents was a source of its own."""
    counts = _counted(reader, f.ASIDE, word)
    assert sum(1 for n in counts if n <= rarewdfs.RARE_WDF) >= rarewdfs.MIN_RARE
    req = SearchRequest(q="x")
    for tree in (
        qt.Term(f.ASIDE, word),
        qt.AndMaybe(qt.Term(f.ALL, "melanoma"), qt.Term(f.ASIDE, word)),
        qt.AndNot(qt.Term(f.ALL, "cancer"), qt.Term(f.ASIDE, word)),
    ):
        mine, sources, total = _ranked(reader, tree, req, rarewdfs.RARE_WDF)
        theirs, before, _ = _ranked(reader, tree, req, 0)
        assert total and mine == theirs
        if not isinstance(tree, qt.AndNot):  # (under a NOT the word is not scored)
            assert sources < before


def test_rare_documents_not_known_keep_a_source_per_wdf(reader):
    """Over shards whose count servers did not send a count term's documents, that wdf keeps
    its own source: the same ranking."""
    word = "patient"
    with reader.lock:
        st = reader.state()
        rare = st.translator.rare
        single = rare.docs.single
    tree, req = qt.Term(f.ASIDE, word), SearchRequest(q="x")
    mine, sources, _ = _ranked(reader, tree, req, rarewdfs.RARE_WDF)
    try:
        rare.docs.single = False  # as over shards: nothing read from the database itself
        rare._docs.clear()
        theirs, before, _ = _ranked(reader, tree, req, rarewdfs.RARE_WDF)
    finally:
        rare.docs.single = single
    assert mine == theirs and sources < before


def test_a_count_term_read_out_of_step_is_not_used(reader):
    """Documents whose number is not the count term's frequency are not used."""
    with reader.lock:
        rare = reader.state().translator.rare
        key = TF_PREFIX + term(f.ASIDE, "patient") + TF_MARK
        first = next(t for t in reader.state().db.allterms(key))
        found = rare.documents(first.term.decode(), first.termfreq)
        assert found is not None and len(found[0]) == first.termfreq
        assert rare.documents(first.term.decode(), first.termfreq + 1) is None
        ids = found[1].tolist()
        for docid, record_id in zip(found[0].tolist(), ids, strict=True):
            doc = reader.state().db.get_document(docid)
            assert doc.get_value(rarewdfs.SLOT_ID).decode() == record_id
