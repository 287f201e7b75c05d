"""Bitset document sets and the query evaluator agree with Whoosh's own matching."""

from __future__ import annotations

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq

from search.dismax import DisMax
from search.docsets import BitDocs, DocSets, bits_from_docs, iter_bits, query_bits
from search.store import current_build


@pytest.fixture(scope="module")
def searcher(index_dir):
    ix = whoosh_index.open_dir(str(current_build(index_dir)), readonly=True)
    s = ix.searcher()
    yield s
    s.close()
    ix.close()


def test_bit_helpers():
    bits = bits_from_docs([0, 3, 9, 64], 100)
    assert list(iter_bits(bits)) == [0, 3, 9, 64]
    docs = BitDocs(bits)
    assert 9 in docs and 10 not in docs and 1000 not in docs and len(docs) == 4


@pytest.mark.parametrize(
    "q",
    [
        wq.Term("all", "melanoma"),
        wq.Or([wq.Term("all", "melanoma"), wq.Term("all", "cancer")]),
        wq.And([wq.Term("all", "melanoma"), wq.Term("type", "trial")]),
        wq.AndNot(wq.Term("all", "melanoma"), wq.Term("type", "article")),
        wq.Phrase("all", ["metastat", "melanoma"]),
        wq.Prefix("all", "immun"),
        wq.Not(wq.Term("type", "mesh")),
        DisMax([wq.Term("all", "melanoma"), wq.Term("mesh_ui", "D008545")]),
    ],
    ids=str,
)
def test_query_bits_match_whoosh(searcher, q):
    docsets = DocSets(searcher.reader())
    expected = set(searcher.docs_for_query(q))
    assert set(iter_bits(query_bits(q, docsets, searcher))) == expected


def test_dismax_scores_each_document_by_its_own_best_alternative(searcher):
    """whoosh3's DisjunctionMaxMatcher gave documents another document's score."""
    alternatives = [wq.Term("all", "cancer"), wq.Phrase("all", ["breast", "neoplasm"])]
    scored = {h["id"]: h.score for h in searcher.search(DisMax(alternatives), limit=None)}
    for alt in alternatives:
        for hit in searcher.search(alt, limit=None):
            assert scored[hit["id"]] >= hit.score - 1e-9
    cancer = {h["id"]: h.score for h in searcher.search(alternatives[0], limit=None)}
    phrase = {h["id"] for h in searcher.search(alternatives[1], limit=None)}
    for doc_id, score in scored.items():
        if doc_id not in phrase:
            assert score == pytest.approx(cancer[doc_id])
