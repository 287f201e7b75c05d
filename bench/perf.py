"""Performance of the service against its peers, on the same records and queries.

    .venv/bin/python bench/perf.py                  # full ../shared/data + the sample (~1 h)
    .venv/bin/python bench/perf.py --data sample    # the bundled sample only
    .venv/bin/python bench/perf.py --quick          # < 1 min regression guard (CI)

Each build, update and search pass runs in a fresh child process (peak memory is that
process's own; CPU seconds too: builds and searches also report process time, the fair
figure on a shared machine). Engines: ours (the indexer and SearchEngine on the default Whoosh
backend), ours-xapian (the same on the Xapian backend: same records, same queries through the
same parser, facets and snippets), and the peers of bench/peers.py
(plain Whoosh as a newcomer uses it - the baseline -, SQLite FTS5, tantivy). Per dataset:
builds per source and of everything; a 1% update (a held-out 1% of the files applied to a
build of the rest); search latency over drawn queries with facets and snippets, cold / warm
(unseen queries after a warm-up set) / repeat; related items; HTTP load on `python -m web`.
The report (markdown: machine, date, every figure and ratio) replaces its own block of
bench/REPORT.md (marked; the file's other sections are kept), or is written whole to `--out`.
Each step's figures are saved as it ends (bench/out/perf/NAME.json): a run that stops keeps
them and a rerun skips them (`--redo 'search/*'` measures the named steps again, `--fresh`
all; bench/perf_steps.py). The queries are drawn from our Whoosh build (`ours`), or from
`ours-xapian`'s when `--engines` leaves `ours` out (the same records).
`--quick` builds a small slice of the sample with ours and plain Whoosh, times 3 warm search
passes of each (alternating), and fails when a ratio to plain Whoosh (search: of the best
pass's median / p95 of each) falls more than 30% below bench/reference.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import perf_report  # noqa: E402
from bench.corpus import draw_queries  # noqa: E402
from bench.perf_child import (  # noqa: E402
    OURS,
    RELATED,
    child_build,
    child_search,
    child_update,
)
from bench.perf_steps import Steps, load, query_source, record_ids, save  # noqa: E402
from search.store import build_meta, current_build  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "data" / "sample"
DATASETS = {
    "full": {
        "sources": {"trials": [SHARED / "trials"], "pubmed": [SHARED / "pubmed"],
                    "mesh": [SHARED / "mesh"]},
        "holdout": [SHARED / "trials" / "ctgov_xml" / "NCT0049xxxx", SHARED / "pubmed" / "efetch"],
    },
    "sample": {
        "sources": {"trials": [SAMPLE / "trials"], "pubmed": [SAMPLE / "pubmed"],
                    "mesh": [SAMPLE / "mesh"]},
        "holdout": [*sorted((SAMPLE / "trials").glob("ctg-studies_*.json.gz")),
                    SAMPLE / "trials" / "studies",
                    SAMPLE / "pubmed" / "PubData2XL_pubmed_data3.xml"],  # 409 records, 1.06%
    },
    "quick": {
        "sources": {"pubmed": [SAMPLE / "pubmed" / "pubmed21n1298_subset.xml.gz"],
                    "trials": [SAMPLE / "trials" / "ctg-studies_koy570-herniated_disc.json.gz",
                               SAMPLE / "trials" / "ctg-studies_vrinda2019-NSCLCBench.json.gz"],
                    "mesh": [SAMPLE / "mesh" / "desc-samples.xml"]},
        "holdout": [],
    },
}  # fmt: skip
WORK = ROOT / "bench" / "out" / "perf"
REPORT = ROOT / "bench" / "REPORT.md"
REFERENCE = ROOT / "bench" / "reference.json"
TOLERANCE = 0.30  # --quick fails when a ratio falls more than this below the reference
QUICK_ROUNDS = 3  # --quick: warm passes of each engine, alternating; the best of each is kept


def child(args: list[str]) -> dict:
    """Run `bench/perf.py --child ARGS...` in a fresh process; its JSON answer."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode:
        raise SystemExit(f"child {args[:2]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def source_files(paths: list[Path], holdout: list[Path]) -> list[str]:
    """The files under `paths` except those under a held-out path."""
    files = []
    for p in paths:
        found = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
        for x in found:
            if x.suffix != ".md" and not any(x == h or h in x.parents for h in holdout):
                files.append(str(x))
    return files


def run_dataset(
    name: str,
    engines: list[str],
    n_queries: int,
    http: bool,
    quick: bool = False,
    per_source: bool = True,
    redo: Sequence[str] = (),
    fresh: bool = False,
    spec: dict | None = None,
    root: Path = WORK,
) -> dict:
    """Everything for one dataset; `quick`: one build each, warm searches only, no related;
    `per_source` False: only the build of everything (no build per source). Each step is
    saved as it ends, and a step saved by an earlier run is skipped unless `redo` names it
    (bench/perf_steps.py); `fresh` (and `quick`): every saved figure and build discarded."""
    spec = spec or DATASETS[name]
    work, saved = root / name, root / f"{name}.json"
    if fresh or quick or not saved.exists():
        shutil.rmtree(work, ignore_errors=True)
    steps = Steps(saved, name, redo, fresh=fresh or quick)
    work.mkdir(parents=True, exist_ok=True)
    res, source = steps.res, query_source(engines)
    for engine in engines:
        for src, paths in spec["sources"].items() if per_source and not quick else ():
            out = work / f"{engine}-{src}"
            if not steps.saved(f"build/{engine}/{src}"):
                print(f"[{name}] build {engine} {src}", flush=True)
                shutil.rmtree(out, ignore_errors=True)
                steps.put(
                    f"build/{engine}/{src}", child(["build", engine, str(out), *map(str, paths)])
                )
                shutil.rmtree(out, ignore_errors=True)
        if _needs_build(steps, engine, work, bool(spec["holdout"])):
            print(f"[{name}] build {engine} all", flush=True)
            # its update and every pass on it measured what this build replaces
            steps.drop(f"update/{engine}", f"search/{engine}/*",
                       *(f"search/{r}/*" for r, e in RELATED.items() if e == engine))  # fmt: skip
            shutil.rmtree(work / engine, ignore_errors=True)
            steps.put(f"build/{engine}/all", build_all(spec, engine, work))
        if spec["holdout"] and engine in OURS and not steps.saved(f"update/{engine}"):
            steps.put(f"update/{engine}", measure_update(name, spec, work, engine))
    qfile = work / "queries.json"
    if not steps.saved("queries") or not qfile.exists():
        steps.drop("search/*")  # the passes measured other queries
        index = work / source
        queries = draw_queries(index, n_queries, seed=7)
        warmup = draw_queries(index, min(100, n_queries // 2), seed=8)
        ids = record_ids(index, n_queries)
        qfile.write_text(json.dumps({
            "measured": [q.peer() for q in queries], "warmup": [q.peer() for q in warmup],
            "related": ids[:n_queries], "related_warmup": ids[n_queries:],
        }))  # fmt: skip
        res["queries_from"] = source
        steps.put("queries", [q.text for q in queries])
    related = [r for r, e in RELATED.items() if e in engines]
    if quick:
        res["search"] = quick_passes(name, engines, work, qfile)
    for engine in () if quick else [*engines, *related]:
        index = work / RELATED.get(engine, engine)
        for mode in ("cold", "warm"):
            if not steps.saved(f"search/{engine}/{mode}"):
                print(f"[{name}] search {engine} {mode}", flush=True)
                run = ["search", engine, str(index), str(qfile), mode]
                steps.put(f"search/{engine}/{mode}", child(run))
    if http and not steps.saved("http"):
        from bench.perf_http import serve_and_load

        print(f"[{name}] http load on {source}", flush=True)
        res["http_engine"] = source
        steps.put("http", serve_and_load(work / source, res["queries"], 4, work / "http.json"))
    save(res, steps.path)
    return res


def _needs_build(steps: Steps, engine: str, work: Path, holdout: bool) -> bool:
    """Whether `engine`'s build of everything is (re)done: not saved, asked again, its index
    gone, or its update to be measured again on an index that already holds it."""
    if not steps.saved(f"build/{engine}/all") or not (work / engine).exists():
        return True
    if engine not in OURS:
        return False
    if current_build(work / engine) is None:
        return True
    updated = bool(build_meta(current_build(work / engine)).get("updated_at"))
    return holdout and updated and not steps.saved(f"update/{engine}")


def quick_passes(name: str, engines: list[str], work: Path, qfile: Path) -> dict:
    """QUICK_ROUNDS warm passes of each engine, the engines alternating (in reverse order every
    other round, so neither always runs first after a build or a burst of load elsewhere): a
    pass's figures plus "rounds", the milliseconds of every round's pass."""
    found: dict = {}
    for r in range(QUICK_ROUNDS):
        for engine in engines if r % 2 == 0 else engines[::-1]:
            print(f"[{name}] search {engine} warm, round {r + 1}/{QUICK_ROUNDS}", flush=True)
            one = child(["search", engine, str(work / engine), str(qfile), "warm"])
            found.setdefault((engine, "warm"), {**one, "rounds": []})["rounds"].append(one["first"])
    return found


def build_all(spec: dict, engine: str, work: Path) -> dict:
    """Every source in one build; ours without the held-out files, which the update adds."""
    everything = [p for paths in spec["sources"].values() for p in paths]
    inputs = source_files(everything, spec["holdout"]) if engine in OURS else everything
    return child(["build", engine, str(work / engine), *map(str, inputs)])


def measure_update(name: str, spec: dict, work: Path, engine: str = "ours") -> dict:
    """Apply the held-out files to our build of the rest (the `all` build)."""
    print(f"[{name}] update {engine} with the held-out files", flush=True)
    return child(["update", str(work / engine), *map(str, spec["holdout"])])


def redo_update(name: str) -> None:
    """Our `all` build and the update again (after a change of the held-out files), into the
    saved figures of an earlier run."""
    res = load(WORK / f"{name}.json")
    work = WORK / name
    shutil.rmtree(work / "ours", ignore_errors=True)
    res["builds"][("ours", "all")] = build_all(DATASETS[name], "ours", work)
    res["update"] = measure_update(name, DATASETS[name], work)
    save(res, WORK / f"{name}.json")


def quick() -> int:
    """The regression guard: ratios to plain Whoosh against the committed reference."""
    res = run_dataset("quick", ["ours", "plain-whoosh"], 60, http=False, quick=True)
    ratios = perf_report.ratios(res)
    reference = json.loads(REFERENCE.read_text()) if REFERENCE.exists() else {}
    print(perf_report.quick_table(ratios, reference, TOLERANCE))
    failed = [k for k, v in ratios.items() if k in reference and v < reference[k] * (1 - TOLERANCE)]
    if failed:
        print(
            f"FAIL: {', '.join(failed)} fell more than {TOLERANCE:.0%} below bench/reference.json"
        )
        return 1
    print("ok: every ratio within 30% of the reference (or better)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        kind, rest = argv[1], argv[2:]
        if kind == "build":
            out = child_build(rest[0], Path(rest[1]), rest[2:])
        elif kind == "update":
            out = child_update(Path(rest[0]), rest[1:])
        else:
            out = child_search(rest[0], Path(rest[1]), Path(rest[2]), rest[3])
        print(json.dumps(out))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", choices=("full", "sample", "both", "quick"), default="both")
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--write-reference", action="store_true", help="with --quick")
    p.add_argument(
        "--out", type=Path, default=REPORT,
        help="the report's file: bench/REPORT.md (the default) gets its perf.py block replaced "
        "and keeps every other section; any other file is written whole",
    )  # fmt: skip
    p.add_argument("--engines", help="comma-separated (default: ours, ours-xapian, every peer)")
    p.add_argument(
        "--all-only", action="store_true", help="no build per source and no HTTP load (faster)"
    )
    p.add_argument(
        "--redo", nargs="+", default=[], metavar="STEP",
        help="measure these saved steps again (patterns: 'search/*', 'build/ours/all', 'http')",
    )  # fmt: skip
    p.add_argument("--fresh", action="store_true", help="discard every saved step and build")
    p.add_argument("--render", action="store_true", help="only re-render saved results")
    p.add_argument("--redo-update", action="store_true", help="re-measure build all + update")
    args = p.parse_args(argv)
    names = ["sample", "full"] if args.data == "both" else [args.data]
    if args.quick:
        if args.write_reference:
            res = run_dataset("quick", ["ours", "plain-whoosh"], 60, http=False, quick=True)
            REFERENCE.write_text(json.dumps(perf_report.ratios(res), indent=1) + "\n")
            return 0
        return quick()
    if args.redo_update:
        for n in names:
            redo_update(n)
    if args.render or args.redo_update:
        results = [load(WORK / f"{n}.json") for n in names]
    else:
        from bench.peers import PEERS

        engines = args.engines.split(",") if args.engines else [*OURS, *PEERS]
        results = [
            run_dataset(
                n,
                engines,
                args.queries,
                not args.all_only,
                per_source=not args.all_only,
                redo=args.redo,
                fresh=args.fresh,
            )  # fmt: skip
            for n in names
        ]
    report = perf_report.render(results)
    if args.out.resolve() == REPORT.resolve():
        report = perf_report.placed(report, REPORT.read_text() if REPORT.exists() else "")
    args.out.write_text(report)
    print(f"report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
