"""search/xapian/tables.py: facet counts from the matching documents' own values (few matches)
are those over every (docid, value) pair (many), on the fixture records' Xapian index."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import xapian

from search import fields as f
from search import querytree as qt
from search.xapian import Reader
from search.xapian import tables as tables_module
from search.xapian.matching import number_range, value_range
from search.xapian.schema import FACET_SLOTS, NUMBER_SLOTS
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


@pytest.mark.parametrize("share", [0, tables_module.BINCOUNT_SHARE, 10**9])
@pytest.mark.parametrize("field", sorted(FACET_SLOTS))
def test_counts_are_those_of_every_pair_whichever_way_they_are_taken(
    tables, field, share, monkeypatch
):
    """Few matches counted from their own values with np.unique (share 0), np.bincount
    (10**9) or as chosen by their number (BINCOUNT_SHARE); many over every pair."""
    monkeypatch.setattr(tables_module, "BINCOUNT_SHARE", share)
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


@pytest.mark.parametrize("share", [0, tables_module.BINCOUNT_SHARE, 10**9])
def test_every_facet_counted_in_one_pass_is_counted_as_each_alone(tables, share, monkeypatch):
    """counts_every (each facet field's counts from one table of every field's values, for
    a search's facets) gives counts() of each field, on few documents and on many (None at
    JOINED_SHARE of all and beyond: each field is then counted alone)."""
    monkeypatch.setattr(tables_module, "BINCOUNT_SHARE", share)
    joined = alone = 0
    for within in masks(tables):
        ids = np.flatnonzero(within)
        every = tables.counts_every(ids)
        if every is None:
            assert len(ids) >= tables_module.JOINED_SHARE * tables.size
            alone += 1
            continue
        joined += 1
        assert sorted(every) == sorted(FACET_SLOTS)
        for field in FACET_SLOTS:
            found, counts = tables.counts(field, within, ids)
            assert every[field][0].tolist() == found.tolist(), field
            assert every[field][1].tolist() == counts.tolist(), field
            values = tables.facet(field)[0]
            expected = counted_pair_by_pair(tables, field, within)
            assert dict(zip([values[i] for i in found], counts.tolist(), strict=True)) == expected
    assert joined > 10 and alone


def test_a_values_rank_is_its_place_in_pythons_order(tables):
    for field in FACET_SLOTS:
        values = tables.facet(field)[0]
        ranks = tables.ranks(field)
        assert [values[i] for i in np.argsort(ranks)] == sorted(values)


def test_a_documents_rows_are_its_values(tables):
    for field in FACET_SLOTS:
        values, docs, which = tables.facet(field)
        offsets, by_doc = tables.rows(field)
        for d in range(tables.size):
            mine = sorted(which[docs == d].tolist())
            assert sorted(by_doc[offsets[d] : offsets[d + 1]].tolist()) == mine


def xapian_matches(reader, query) -> np.ndarray:  # noqa: ANN001
    """The mask of what Xapian itself matches of a query (BoolWeight, every match)."""
    st = reader.state()
    enquire = xapian.Enquire(st.db)
    enquire.set_weighting_scheme(xapian.BoolWeight())
    enquire.set_query(query)
    mask = np.zeros(st.tables.size, dtype=bool)
    for m in enquire.get_mset(0, st.db.get_doccount()):
        mask[m.docid] = True
    return mask


@pytest.mark.parametrize("field", sorted(NUMBER_SLOTS))
def test_a_number_range_is_what_xapian_matches_of_it(xapian_index, field):
    reader = Reader(xapian_index)
    tables = reader.state().tables
    numbers = sorted(
        {
            int(xapian.sortable_unserialise(item.value))
            for item in reader.state().db.valuestream(NUMBER_SLOTS[field])
        }
    )
    middle = numbers[len(numbers) // 2]
    bounds = [(None, None), (numbers[0], numbers[-1]), (middle, middle), (None, middle),
              (middle, None), (numbers[-1] + 1, None), (middle + 1, middle - 1)]  # fmt: skip
    for low, high in bounds:
        expected = xapian_matches(reader, value_range(qt.Range(field, low, high)))
        got = tables.in_range(field, low, high)
        assert np.array_equal(got, expected), (field, low, high)
    assert tables.in_range(field, numbers[-1] + 1, None).sum() == 0
    assert 0 < tables.in_range(field, middle, middle).sum() < tables.live.sum()


@pytest.mark.parametrize(
    "q",
    ["melanoma year:1990..2030", "cancer treatment year:2000..2030", "year:2015..2030",
     "vaccine year:2019", "patients \"clinical trial\" year:..2020",
     "heart year:2010.. date:2010..", "what is the effect of aspirin on pain year:1990..2030"],
)  # fmt: skip
def test_a_match_set_with_a_range_is_what_xapian_matches(xapian_index, q):
    """The match sets take an And's ranges from the tables (search/xapian/matchsets.py): the
    same documents as Xapian's own match of the whole query, ranges and words together."""
    from search.models import SearchRequest
    from search.xapian import matchsets
    from search.xapian.matching import boolean, needs_masks

    reader = Reader(xapian_index)
    req = SearchRequest(q=q, size=10)
    seen = []
    real = matchsets.MatchSets._match

    def spy(self, st, request, tree):  # noqa: ANN001, ANN202
        out = real(self, st, request, tree)
        seen.append((tree, out[1]))
        return out

    matchsets.MatchSets._match = spy
    try:
        page = reader.search(req)
    finally:
        matchsets.MatchSets._match = real
    assert seen
    for tree, matched in seen:
        if not needs_masks(tree):
            expected = xapian_matches(reader, boolean(reader.state().translator, tree))
            assert np.array_equal(matched, expected), q
    ranged = [t for t, _ in seen if any(map(number_range, qt.leaves(t)))]
    assert ranged and page.total <= int(seen[0][1].sum())


@pytest.mark.parametrize("q", ["cancer", "cancer OR melanoma", "herniated disc surgery",
                               '"skin cancer" melanoma', "nosuchword"])  # fmt: skip
def test_a_count_is_exact_and_what_xapian_matches(xapian_index, q):
    """tables.counted (the count of match_count and of the partial matches, matchsets.py
    `_more`): no document listed, its bounds equal, the number of documents Xapian matches."""
    from search.syntax import QueryBuilder
    from search.xapian.matching import boolean

    reader = Reader(xapian_index)
    st = reader.state()
    parsed = QueryBuilder().parse(q)
    for tree in filter(None, (parsed.query, parsed.loose)):
        query = boolean(st.translator, tree)
        mset = tables_module.counted(st.db, query)
        expected = int(xapian_matches(reader, query).sum())
        assert mset.size() == 0
        assert mset.get_matches_lower_bound() == mset.get_matches_upper_bound() == expected
        assert tables_module.match_count(st.db, query) == expected
