"""search/xapian/tables.py: facet counts from the matching documents' own values (few matches)
are those over every (docid, value) pair (many), on the fixture records' Xapian index."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from search import fields as f
from search.xapian import Reader
from search.xapian.schema import FACET_SLOTS
from search.xapian.tables import SPARSE_SHARE


@pytest.fixture(scope="module")
def tables(xapian_index):
    return Reader(xapian_index).state().tables


def counted_pair_by_pair(tables, field: str, within: np.ndarray) -> Counter[str]:
    """The plain way: each (docid, value) pair of the field whose docid the mask holds."""
    values, docs, which = tables.facet(field)
    return Counter(
        values[i] for d, i in zip(docs.tolist(), which.tolist(), strict=True) if within[d]
    )


def masks(tables) -> list[np.ndarray]:
    """Each live document alone, each record type, seeded random subsets of every size, all."""
    live = np.flatnonzero(tables.live)
    out = []
    for d in live.tolist():
        one = np.zeros(tables.size, dtype=bool)
        one[d] = True
        out.append(one)
    out += [tables.term(f.TYPE, t) for t in f.TYPES]
    rng = np.random.default_rng(12)
    for share in (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8):
        for _ in range(3):
            some = np.zeros(tables.size, dtype=bool)
            some[rng.choice(live, max(1, int(share * len(live))), replace=False)] = True
            out.append(some)
    out += [tables.live.copy(), np.zeros(tables.size, dtype=bool)]
    return out


@pytest.mark.parametrize("field", sorted(FACET_SLOTS))
def test_counts_are_those_of_every_pair_whichever_way_they_are_taken(tables, field):
    values, docs, _ = tables.facet(field)
    sparse = dense = 0
    for within in masks(tables):
        expected = counted_pair_by_pair(tables, field, within)
        got = tables.count(field, within)
        assert got == expected
        assert list(got) == sorted(got, key=values.index)  # the values' order, as before
        ids = np.flatnonzero(within)
        assert tables.count(field, within, ids) == expected
        if len(ids) < SPARSE_SHARE * len(docs):
            sparse += 1
        else:
            dense += 1
    assert sparse and dense  # both ways were taken


def test_a_documents_rows_are_its_values(tables):
    for field in FACET_SLOTS:
        values, docs, which = tables.facet(field)
        offsets, by_doc = tables.rows(field)
        for d in range(tables.size):
            mine = sorted(which[docs == d].tolist())
            assert sorted(by_doc[offsets[d] : offsets[d + 1]].tolist()) == mine
