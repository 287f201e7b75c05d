"""Related items at scale, alone: open a (sharded) Xapian build once, without the reader's
per-document tables (bench/scale.py `search` opens them, ~75 s at 10x), and time
`related()` for the first records of the size's sample.json (the ids bench/scale.py times),
wall and CPU, optionally under cProfile; the lists are saved, and `--compare A B` counts the
sections that differ between two saved runs (before / after a change, local / remote shards).

    .venv/bin/python bench/related_scale.py INDEX OUT.json [--remote HOST:PORT,...] [--profile F]
    .venv/bin/python bench/related_scale.py --compare A.json B.json [-v]

INDEX: an index folder (its live build: one database, or local shards in xapian-progsrv
processes), or with --remote the folder holding sample.json and the shards' addresses.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scale import pct  # noqa: E402
from search.store import current_build  # noqa: E402
from search.xapian.related import related  # noqa: E402
from search.xapian.shards import RemoteShards, open_build, open_remote, parse_addresses  # noqa: E402
from search.xapian.view import XapianView  # noqa: E402

SECTIONS = ("trials", "articles")
COUNTS = ("total", "explicit", "strong", "close_items", "more_query", "more_about")


def open_view(index: Path, remote: str) -> XapianView:
    if remote:
        db = RemoteShards()
        for address in parse_addresses(remote):
            db.add_database(open_remote(address, 600.0))
    else:
        build = current_build(index)
        assert build is not None, f"no build in {index}"
        db = open_build(build)
    return XapianView(db, ("related_scale", str(index)))


def measure(args: argparse.Namespace) -> None:
    index = Path(args.index)
    t = time.perf_counter()
    view = open_view(index, args.remote)
    print(f"opened in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    records = json.loads((index / "sample.json").read_text())
    ids = [r.get("nct_id") or r.get("pmid") for r in records[: args.n]]
    related(view, None, ids[0], 10, True)  # warm-up, as bench/scale.py (the dates read)
    profile = cProfile.Profile() if args.profile else None
    wall, cpu, lists = [], [], {}
    for record_id in ids:
        t, c = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        found = related(view, None, record_id, 10, True)
        if profile is not None:
            profile.disable()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        lists[record_id] = dataclasses.asdict(found)
    summary = {
        "records": len(wall),
        "wall_p50_ms": pct(wall, 50),
        "wall_p95_ms": pct(wall, 95),
        "cpu_p50_ms": pct(cpu, 50),
        "cpu_p95_ms": pct(cpu, 95),
        "load_1min": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(summary))
    times = [[i, round(w, 2), round(c, 2)] for i, w, c in zip(ids, wall, cpu, strict=True)]
    found = {"summary": summary, "times": times, "related": lists}
    Path(args.out).write_text(json.dumps(found, default=str))
    if profile is not None:
        profile.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(15)


def compare(a_path: str, b_path: str, verbose: bool) -> int:
    """Sections (trials, articles, MeSH, topics) that differ between two saved runs."""
    a = json.loads(Path(a_path).read_text())["related"]
    b = json.loads(Path(b_path).read_text())["related"]
    differ = 0
    for record_id in a:
        for name in SECTIONS:
            x, y = a[record_id][name], b[record_id][name]
            xi = [(i["id"], i["reason"], i["score"]) for i in x["items"]]
            yi = [(i["id"], i["reason"], i["score"]) for i in y["items"]]
            if xi != yi or any(x[k] != y[k] for k in COUNTS):
                differ += 1
                if verbose:
                    print(record_id, name, {k: (x[k], y[k]) for k in COUNTS if x[k] != y[k]})
        for name in ("mesh", "topics", "undefined"):
            if a[record_id][name] != b[record_id][name]:
                differ += 1
                if verbose:
                    print(record_id, name)
    print(f"{len(a)} records, {differ} sections differ")
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", nargs="?")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--remote", default="", help="HOST:PORT,... of the shards' servers")
    parser.add_argument("--profile", default="", help="a cProfile stats file to write")
    parser.add_argument("--n", type=int, default=100, help="records timed (bench/scale.py: 100)")
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"))
    parser.add_argument("-v", action="store_true", help="--compare: list the differences")
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare, args.v)
    else:
        measure(args)


if __name__ == "__main__":
    main()
