"""Facet counts: whole result set, other facets' selections applied; OR within, AND across."""

from __future__ import annotations

import pytest

from search.engine import SearchEngine
from search.models import SearchRequest


@pytest.fixture(scope="module")
def engine(index_dir):
    return SearchEngine(index_dir)


def facets(page):
    return {f.name: {v.value: (v.count, v.selected) for v in f.values} for f in page.facets}


def test_counts_cover_the_whole_result_set(engine):
    page = engine.search(SearchRequest(q="melanoma", size=1))
    counts = facets(page)
    assert sum(c for c, _ in counts["type"].values()) == page.total == 19
    assert counts["type"] == {"article": (12, False), "trial": (4, False), "mesh": (3, False)}
    assert counts["phase"]["PHASE2"] == (3, False)


def test_a_selection_filters_results_but_not_its_own_facet(engine):
    page = engine.search(SearchRequest(q="melanoma", filters=(("type", ("trial",)),)))
    assert page.total == 4 and {h.type for h in page.hits} == {"trial"}
    counts = facets(page)
    assert counts["type"]["trial"] == (4, True)
    assert counts["type"]["article"] == (12, False), "other values keep their counts"


def test_or_within_a_facet_and_across_facets(engine):
    both = engine.search(SearchRequest(q="melanoma", filters=(("type", ("trial", "article")),)))
    assert both.total == 16
    narrowed = engine.search(
        SearchRequest(
            q="melanoma", filters=(("type", ("trial", "article")), ("phase", ("PHASE2",)))
        )
    )
    assert narrowed.total == 3  # articles have no phase: AND across facets
    counts = facets(narrowed)
    assert counts["type"]["trial"] == (3, True) and counts["phase"]["PHASE1"][1] is False


def test_labels_and_mesh_facets(engine):
    page = engine.search(SearchRequest(q="melanoma"))
    labels = {f.name: {v.value: v.label for v in f.values} for f in page.facets}
    assert labels["type"]["trial"] == "Clinical trials"
    assert labels["phase"]["PHASE2"] == "Phase 2"
    assert labels["age"]["older_adult"] == "Older adult (65+)"
    assert labels["mesh"]["D008545"] == "Melanoma"
    assert "D006801" not in labels["mesh"], "check tags (Humans) say nothing"
    assert labels["topic"]["C04"] == "Neoplasms"


def test_browse_with_filters_only(engine):
    page = engine.search(SearchRequest(q="", filters=(("status", ("COMPLETED",)),)))
    assert page.total > 5 and all(h.fields["status"] == "COMPLETED" for h in page.hits)
    assert engine.search(SearchRequest(q="", filters=(("mesh", ("D008545",)),))).total == 13


def test_selected_value_with_no_results_is_still_shown(engine):
    page = engine.search(SearchRequest(q="herniated", filters=(("phase", ("EARLY_PHASE1",)),)))
    assert page.total == 0
    assert facets(page)["phase"]["EARLY_PHASE1"] == (0, True)


# -- the order of a facet's values, over arrays: as the plain way ------------------------------


def _plain_facet_of(d, counter, selected, limit):  # noqa: ANN001, ANN202
    """facet_of as first written (a heap of (-count, value) over every counted value)."""
    import heapq

    from search.facets import CHECK_TAGS, year_range

    if d.name == "mesh":
        for tag in CHECK_TAGS.intersection(counter):
            del counter[tag]
    spans = [s for s in map(year_range, selected) if s is not None] if d.by_value else []
    chosen = {v for v in selected if not spans or year_range(v) is None}
    for v in chosen:
        counter.setdefault(v, 0)
    if d.by_value:
        chosen |= {v for v in counter if v.isdigit() and any(a <= int(v) <= b for a, b in spans)}
        top = heapq.nlargest(limit, counter.items(), key=lambda kv: kv[0])
        rest = sorted((kv for kv in counter.items() if kv[0] in chosen), reverse=True)
    else:
        key = lambda kv: (-kv[1], kv[0])  # noqa: E731
        top = heapq.nsmallest(limit, counter.items(), key=key)
        rest = sorted((kv for kv in counter.items() if kv[0] in chosen), key=key)
    in_top = {v for v, _ in top}
    shown = top + [kv for kv in rest if kv[0] not in in_top]
    return [(v, n, v in chosen) for v, n in shown], len(counter) > limit


@pytest.mark.parametrize("partition_from", [0, 3, 64, 10**9])
def test_a_facets_order_is_the_plain_ways_with_or_without_a_partition(monkeypatch, partition_from):
    """facet_of (the first `limit` values picked by a NumPy partition when more than
    PARTITION_FROM are counted) lists what the plain heap lists, from a Counter or from
    arrays: ties in a count by name, check tags left out, selected values (counted, uncounted,
    check tags, years inside a range) kept."""
    from collections import Counter

    import numpy as np

    from search import facets as facets_module
    from search.facets import BY_NAME, CHECK_TAGS, ValueCounts, facet_of

    monkeypatch.setattr(facets_module, "PARTITION_FROM", partition_from)
    rng = np.random.default_rng(3)
    tags = sorted(CHECK_TAGS)[:5]
    cases = 0
    for name in ("mesh", "country", "pub_year", "status"):
        d = BY_NAME[name]
        for size in (0, 1, 5, 40, 300):
            if d.by_value:
                names = [str(1900 + i) for i in rng.permutation(size)]
            else:
                names = [f"V{n:04d}" for n in rng.permutation(size)] + tags[: size // 10]
            counts = rng.integers(1, 4, len(names)).tolist()  # many ties
            picks = [names[0]] if names else []
            selections = [(), ("absent",), tuple(picks), (tags[0], "absent")]
            if d.by_value:
                selections += [("1950..1960",), ("1950..1960", "1901", "1800")]
            for selected in selections:
                for limit in (0, 1, 10, 20):
                    counter = Counter(dict(zip(names, counts, strict=True)))
                    expected = _plain_facet_of(d, Counter(counter), selected, limit)
                    order = sorted(range(len(names)), key=names.__getitem__)
                    ranks = np.empty(len(names), dtype=np.int64)
                    ranks[order] = np.arange(len(names))
                    index = {v: i for i, v in enumerate(names)}
                    found = np.arange(len(names))
                    arrays = ValueCounts(names, index, ranks, found, np.array(counts, dtype=int))
                    for given in (Counter(counter), arrays):
                        facet = facet_of(d, given, selected, lambda n, v: {}, limit)
                        got = (
                            (
                                [(v.value, v.count, v.selected) for v in facet.values],
                                facet.truncated,
                            )
                            if facet is not None
                            else ([], expected[1])
                        )
                        assert got == expected, (name, size, selected, limit)
                        cases += 1
    assert cases > 500
