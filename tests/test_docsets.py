"""Bitset document sets, and the fixed DisjunctionMax matcher."""

from __future__ import annotations

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq

from search.store import current_build
from search.whoosh.dismax import DisMax
from search.whoosh.docsets import DocSets, bits_from_docs, iter_bits

pytestmark = pytest.mark.backends("whoosh")  # Whoosh's own internals


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


def test_term_bitsets_and_counts_match_the_postings(searcher):
    docsets = DocSets(searcher.reader())
    trials = set(searcher.reader().postings("type", "trial").all_ids())
    assert set(iter_bits(docsets.term("type", "trial"))) == trials
    assert docsets.count_low("type", docsets.live)["trial"] == len(trials)
    assert docsets.term("type", "no-such-type") == 0


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
