"""bench/perf_report.py: the ratios bench/perf.py --quick compares with bench/reference.json,
on pass latencies written out by hand (no timing here)."""

from __future__ import annotations

from bench.perf_report import best, ratios

BUILDS = {
    ("ours", "all"): {"records": 3000, "seconds": 10.0},
    ("plain-whoosh", "all"): {"records": 3000, "seconds": 6.0},
}


def _pass(median: float, p95: float) -> list[float]:
    """20 latencies whose median and p95 (the 19th of 20, sorted) are the given ones."""
    return [median] * 18 + [p95, p95 + 100.0]


def test_best_takes_the_lowest_median_and_the_lowest_p95_of_the_passes() -> None:
    passes = [_pass(50.0, 90.0), _pass(40.0, 120.0), _pass(45.0, 80.0)]
    assert best(passes, 20) == (40.0, 80.0)


def test_best_compares_the_same_first_queries_of_every_pass() -> None:
    # a pass that stopped early (the time budget) is compared on its prefix only
    assert best([[10.0, 10.0, 500.0], [30.0, 30.0]], 2) == (10.0, 10.0)


def test_quick_ratios_use_the_best_of_the_alternating_rounds() -> None:
    # plain Whoosh's first pass ran during a burst of load: 2x slower than its two others
    res = {
        "builds": BUILDS,
        "search": {
            ("plain-whoosh", "warm"): {
                "first": _pass(100.0, 200.0),
                "rounds": [_pass(100.0, 200.0), _pass(50.0, 100.0), _pass(52.0, 96.0)],
            },
            ("ours", "warm"): {
                "first": _pass(10.0, 30.0),
                "rounds": [_pass(10.0, 30.0), _pass(12.0, 24.0), _pass(11.0, 32.0)],
            },
        },
    }
    assert ratios(res) == {
        "build_records_per_s": 0.6,
        "search_median_warm": 5.0,  # 50 / 10, not 100 / 10 of the first passes
        "search_p95_warm": 4.0,  # 96 / 24
    }


def test_ratios_of_a_run_with_one_pass_each() -> None:
    # figures saved by a full run (bench/out/perf/*.json) hold one warm pass and no "rounds";
    # plain Whoosh's pass stopped after 15 queries (the time budget): ours is taken over those
    res = {
        "builds": BUILDS,
        "search": {
            ("plain-whoosh", "warm"): {"first": _pass(100.0, 200.0)[:15]},
            ("ours", "warm"): {"first": _pass(10.0, 40.0)},
        },
    }
    assert ratios(res)["search_median_warm"] == 10.0
    assert ratios(res)["search_p95_warm"] == 10.0  # 100 / 10: ours' slow tail is past query 15
