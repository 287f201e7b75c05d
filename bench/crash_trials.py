"""kill -9 trials: many random (and named) kill points of build, update and sync.

    python bench/crash_trials.py [--trials 20] [--seed 1] [--only build,update,sync]
    python bench/crash_trials.py --update-index DIR --trials 10 UPDATE_PATH...

Default: on the test fixtures (tests/data) in a temporary folder; sync against the test
suite's upstream stand-in on 127.0.0.1 (tests/upstream.py). `--update-index`: kill an update
of UPDATE_PATHs on a copy (hard links) of the index DIR, e.g. the 1% update of the full data.

Each trial starts from the same index, runs the real `python -m indexer` command and sends it
SIGKILL after a random delay within its uninterrupted duration, or at a named point (the
process kills itself on entering a function: the commit, the switch...). Then it checks that
the live build is whole (meta.json, its backend opens it, its counts are meta's) and holds the
old or the new data (a sync may also serve "in between": its earlier steps applied), and that
rerunning the command completes with the new data. Prints one line per command: trials,
killed before the end, old / new / in-between served, failures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from indexer.build import rebuild_index  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.store import current_build  # noqa: E402

DATA = ROOT / "tests" / "data"
KILL_AT = ROOT / "tests" / "kill_at.py"  # runs the CLI, SIGKILL on the n-th call of a function
POINTS = {
    "build": ["whoosh.writing:SegmentWriter.add_document", "whoosh.index:TOC.write",
              "indexer.store:write_meta", "indexer.store:switch_to", "indexer.store:prune_builds"],
    "update": ["search.whoosh.writer:link_build", "whoosh.writing:SegmentWriter.add_document",
               "whoosh.index:TOC.write", "indexer.store:write_meta", "indexer.store:switch_to",
               "indexer.store:prune_builds"],
    "sync": ["indexer.sync:SyncState.save", "indexer.fetch:file_md5", "indexer.sync:update_index",
             "whoosh.index:TOC.write", "indexer.store:switch_to", "indexer.sync:SyncState.done"],
}  # fmt: skip


def served(index: Path) -> dict[str, int]:
    build = current_build(index)
    meta = json.loads((build / "meta.json").read_text())
    counts = SearchEngine(index).status()["counts"]
    if counts != meta["counts"]:
        raise AssertionError(f"counts {counts} != meta.json {meta['counts']}")
    return counts


def run(args: list[str], delay: float | None = None, point: str = "", nth: int = 1) -> bool:
    """Run the command; True if it was killed."""
    if point:
        cmd = [sys.executable, str(KILL_AT), point, str(nth), *args]
    else:
        cmd = [sys.executable, "-m", "indexer", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return proc.returncode == -signal.SIGKILL


def copy_index(src: Path, dst: Path) -> None:
    """A copy of an index folder: the builds' files as hard links (the indexer never rewrites
    them), the rest (lock, sync state) copied."""
    if dst.exists():
        shutil.rmtree(dst)

    def link_or_copy(a: str, b: str) -> None:
        if Path(a).relative_to(src).parts[0] == "builds":
            os.link(a, b)
        else:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, symlinks=True, copy_function=link_or_copy)


def trials(name: str, base: Path, args_for, n: int, rng: random.Random, setup=None) -> str:  # noqa: ANN001
    work = Path(tempfile.mkdtemp(prefix=f"crash-{name}-"))
    index = work / "index"
    try:
        copy_index(base, index)
        old = served(index)
        if setup:
            setup(index)
        started = time.monotonic()
        assert not run(args_for(index)), "an uninterrupted run failed"
        duration = time.monotonic() - started
        new = served(index)
        plan = [(rng.uniform(0.05, 1.1) * duration, "", 1) for _ in range(n)]
        plan += [(None, point, nth) for point in POINTS[name] for nth in (1, 2)]
        tally = {"trials": 0, "killed": 0, "old": 0, "new": 0, "other": 0, "failures": 0}
        for delay, point, nth in plan:
            copy_index(base, index)
            if setup:
                setup(index)
            tally["trials"] += 1
            tally["killed"] += run(args_for(index), delay, point, nth)
            try:
                now = served(index)
                tally["old" if now == old else "new" if now == new else "other"] += 1
                for _ in range(3):  # a sync killed late may need its rerun to finish the rest
                    if not run(args_for(index)):
                        break
                if served(index) != new:
                    tally["failures"] += 1
            except Exception as e:  # noqa: BLE001
                tally["failures"] += 1
                print(f"  {name} {point or f'after {delay:.2f} s'}: {e}", file=sys.stderr)
        return (
            f"| {name} | {duration:.1f} s | {tally['trials']} | {tally['killed']} | "
            f"{tally['old']} | {tally['new']} | {tally['other']} | {tally['failures']} |"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--trials", type=int, default=20, help="random kill delays per command")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="build,update,sync")
    ap.add_argument("--update-index", type=Path, help="kill updates of this index (a copy)")
    ap.add_argument("paths", nargs="*", metavar="UPDATE_PATH")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print("| command | uninterrupted | trials | killed | old served | new served "
          "| in between | failures |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    if args.update_index:
        command = lambda ix: ["update", "--index", str(ix), *args.paths]  # noqa: E731
        print(trials("update", args.update_index, command, args.trials, rng))
        return
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small"
        rebuild_index([str(DATA / "trials" / "xml"), str(DATA / "mesh")], small)
        fixtures = [str(DATA / d) for d in ("trials", "pubmed", "mesh")]
        only = args.only.split(",")
        if "build" in only:
            print(trials("build", small, lambda ix: ["build", "--index", str(ix), *fixtures],
                         args.trials, rng))  # fmt: skip
        if "update" in only:
            both = DATA / "trials" / "both"
            new = [str(p) for p in (both / "xml", both / "json", DATA / "trials" / "json",
                                    DATA / "pubmed")]  # fmt: skip
            print(trials("update", small, lambda ix: ["update", "--index", str(ix), *new],
                         args.trials, rng))  # fmt: skip
        if "sync" in only:
            print(_sync_trials(small, args.trials, rng))


def _sync_trials(base: Path, n: int, rng: random.Random) -> str:
    from upstream import SAMPLE, Upstream, gzipped, sample_studies

    pubmed = {
        "medline16n0902.xml.gz": gzipped(DATA / "pubmed" / "medline16n0902_selection.xml"),
        "pubmed21n1298.xml.gz": gzipped(DATA / "pubmed" / "pubmed21n1298_selection.xml"),
    }
    mesh = {"desc2016.xml": (SAMPLE / "mesh" / "desc-samples.xml").read_bytes()}
    with Upstream(sample_studies(), pubmed, mesh, max_page=3) as up:
        urls = ["--ctgov-url", f"{up.url}/api/v2/studies", "--pubmed-url",
                f"{up.url}/pubmed/updatefiles/", "--mesh-url", f"{up.url}/mesh/"]  # fmt: skip
        options = ["--since", "2025-11-01", "--mesh-year", "2014", "--interval", "0", *urls]
        return trials("sync", base, lambda ix: ["sync", "--index", str(ix), *options], n, rng)


if __name__ == "__main__":
    main()
