"""bench/perf_report.py: the ratios bench/perf.py --quick compares with bench/reference.json,
on pass latencies written out by hand (no timing here); bench/perf.py's steps saved as they
end and skipped by a rerun, and its queries drawn from either backend's build (real builds
of tests/data by bench/perf.py's child processes; no figure is checked, only which steps ran)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.corpus import draw_queries
from bench.perf import _needs_build, run_dataset
from bench.perf_report import END, START, best, placed, ratios, render
from bench.perf_steps import Steps, load, query_source, record_ids
from bench.scale import local_signatures

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


# -- bench/perf.py's steps saved as they end, and its queries drawn from any of our builds ----

DATA = Path(__file__).parent / "data"
SPEC = {
    "sources": {"trials": [DATA / "trials"], "pubmed": [DATA / "pubmed"], "mesh": [DATA / "mesh"]},
    "holdout": [DATA / "pubmed" / "PubData2XL_book.xml"],
}


def test_queries_drawn_through_the_view_are_the_same_on_both_backends(
    whoosh_index: Path, xapian_index: Path
) -> None:
    # bench/corpus.py's draw_queries reads the index view of either backend: on the same
    # records, the same queries in the same order
    whoosh = [q.text for q in draw_queries(whoosh_index, 30, seed=7)]
    assert len(whoosh) == 30
    assert [q.text for q in draw_queries(xapian_index, 30, seed=7)] == whoosh
    assert record_ids(xapian_index, 10) == record_ids(whoosh_index, 10)
    assert len(set(record_ids(xapian_index, 10))) == 15  # 10 measured, then 5 to warm up


def test_a_run_needs_one_of_our_builds_to_draw_its_queries_from() -> None:
    assert query_source(["tantivy", "ours-xapian", "ours"]) == "ours"
    assert query_source(["tantivy", "ours-xapian"]) == "ours-xapian"
    with pytest.raises(SystemExit, match="--engines needs ours or ours-xapian"):
        query_source(["tantivy", "sqlite-fts5"])


def test_redo_patterns_and_dropping_what_a_step_replaces(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    steps = Steps(path, "d")
    steps.put("build/ours-xapian/all", {"records": 3})
    steps.put("update/ours-xapian", {"seconds": 1.0})
    steps.put("search/ours-xapian/warm", {"first": [1.0]})
    steps.put("search/related-xapian/warm", {"first": [2.0]})
    steps.put("search/tantivy/warm", {"first": [3.0]})
    again = Steps(path, "d", redo=["search/*xapian/warm"])  # as a rerun loads them
    assert again.saved("build/ours-xapian/all") and again.saved("update/ours-xapian")
    assert again.saved("search/tantivy/warm")
    assert not again.saved("search/ours-xapian/warm")
    assert not again.saved("search/related-xapian/warm")
    assert not again.saved("search/ours-xapian/cold")  # never measured
    again.drop("update/ours-xapian", "search/ours-xapian/*")
    assert "update_xapian" not in again.res
    assert set(again.res["search"]) == {("related-xapian", "warm"), ("tantivy", "warm")}
    assert not Steps(path, "d", fresh=True).saved("build/ours-xapian/all")
    again.put("build/tantivy/all", {"records": 3})
    assert _needs_build(again, "tantivy", tmp_path, True)  # saved, but its index is gone
    (tmp_path / "tantivy").mkdir()
    assert not _needs_build(again, "tantivy", tmp_path, True)


def test_a_run_stopped_early_keeps_its_steps_and_a_rerun_skips_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the first run stops at an engine that cannot be built: what came before it is saved
    with pytest.raises(SystemExit, match="child"):
        run_dataset("t", ["ours-xapian", "no-such-engine"], 8, http=False, per_source=False,
                    spec=SPEC, root=tmp_path)  # fmt: skip
    first = load(tmp_path / "t.json")
    assert set(first["builds"]) == {("ours-xapian", "all")}
    assert first["update_xapian"]["added"] > 0  # the held-out file, applied to the rest
    capsys.readouterr()

    # without the Whoosh engine `ours`: the queries come from ours-xapian's build
    res = run_dataset("t", ["ours-xapian"], 8, http=False, per_source=False, spec=SPEC,
                      root=tmp_path)  # fmt: skip
    ran = capsys.readouterr().out
    assert "build ours-xapian" not in ran and "update ours-xapian" not in ran
    assert res["builds"][("ours-xapian", "all")] == first["builds"][("ours-xapian", "all")]
    assert res["update_xapian"] == first["update_xapian"]
    assert res["queries_from"] == "ours-xapian" and len(res["queries"]) == 8
    passes = {(e, m) for e in ("ours-xapian", "related-xapian") for m in ("cold", "warm")}
    assert set(res["search"]) == passes
    assert load(tmp_path / "t.json") == res

    # a rerun measures only what --redo names
    again = run_dataset("t", ["ours-xapian"], 8, http=False, per_source=False, spec=SPEC,
                        root=tmp_path, redo=["search/related-xapian/warm"])  # fmt: skip
    ran = capsys.readouterr().out
    assert "search related-xapian warm" in ran
    assert "search ours-xapian" not in ran and "search related-xapian cold" not in ran
    for key in passes - {("related-xapian", "warm")}:
        assert again["search"][key] == res["search"][key]
    report = render([again])
    assert "Example queries (drawn from ours-xapian's build)" in report
    assert "### The Xapian backend (issue #12)" in report
    assert "| ours-xapian | " in report.split("### Update")[1]


def test_a_tagged_remote_run_is_compared_with_the_local_run_of_its_tag(tmp_path: Path) -> None:
    # bench/scale.py: after `run`'s 1% update, a re-measure (SCALE_TAG=-quiet) searches the
    # updated build; its remote signatures must meet the local ones taken on that build
    (tmp_path / "signatures-local.json").write_text("{}")
    assert local_signatures(tmp_path, "-quiet") == tmp_path / "signatures-local.json"
    (tmp_path / "signatures-local-quiet.json").write_text("{}")
    assert local_signatures(tmp_path, "-quiet") == tmp_path / "signatures-local-quiet.json"
    assert local_signatures(tmp_path, "") == tmp_path / "signatures-local.json"


def test_the_report_replaces_only_its_own_block_of_the_report_file() -> None:
    others = "# Session 7\n\nquiet figures\n\n# Scale\n\n10x table\n"
    first = placed("# Performance report\n\nrun 1\n", others)
    assert first.endswith(others) and "run 1" in first
    second = placed("# Performance report\n\nrun 2\n", first)
    assert "run 1" not in second and "run 2" in second
    assert second.endswith(others)  # every other section kept, once
    assert second.count(START) == second.count(END) == 1
    moved = placed("run 3", "# Top\n\n" + second)  # a block further down is replaced in place
    assert moved.startswith("# Top\n\n" + START) and "run 2" not in moved
    assert placed("run 4", "") == f"{START}\nrun 4\n{END}\n"
