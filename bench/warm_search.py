"""Warm search latency of one index, query by query: p50/p95 wall and CPU, the slowest queries,
and optionally where their time goes (cProfile). bench/perf.py's warm pass, in one process and
with the detail a tuning session needs.

    # draw the queries (bench/corpus.py, from a Whoosh build; perf.py's queries.json format)
    .venv/bin/python bench/warm_search.py --draw WHOOSH_INDEX --queries Q.json --n 300
    # measure any index (either backend) on them
    nice -n 10 .venv/bin/python bench/warm_search.py --index DIR --queries Q.json [--profile]
    # the slowest queries with the CPU of each step of a Xapian search (--phases)
    nice -n 10 .venv/bin/python bench/warm_search.py --index DIR --queries Q.json --phases
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import Query, draw_queries  # noqa: E402

# The steps of a Xapian search (search/xapian/), timed in CPU by --phases; each figure counts
# what the step calls (the ranked query's translation is inside the ranking).
PHASES = (
    ("parse", "search.syntax", "QueryBuilder", "parse"),
    ("match sets", "search.xapian.engine", "XapianReader", "_match"),
    ("ranking", "search.xapian.listing", "Listing", "_pool"),
    ("  translation", "search.xapian.listing", "Listing", "_ranked"),
    ("feedback", "search.xapian.engine", "XapianReader", "_feedback"),
    ("hits", "search.xapian.listing", "Listing", "_render"),
    ("  snippets", "search.xapian.listing", None, "make_snippet"),
    ("facets", "search.xapian.engine", "xfacets", "count_facets"),
    ("suggestion", "search.xapian.engine", None, "suggest"),
)


class Phases:
    """CPU seconds of each of PHASES in the current query (wrappers on the named functions)."""

    def __init__(self) -> None:
        import importlib

        self.spent: dict[str, float] = {}
        for label, module, owner, name in PHASES:
            holder = importlib.import_module(module)
            if owner is not None:
                holder = getattr(holder, owner)
            setattr(holder, name, self._timed(label, getattr(holder, name)))

    def _timed(self, label: str, fn):  # noqa: ANN001, ANN202
        import functools

        @functools.wraps(fn)
        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.process_time() - start

        return timed

    def take(self) -> dict[str, float]:
        out, self.spent = self.spent, {}
        return out


def p95(values: list[float]) -> float:
    """As bench/perf_report.py's."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def measure(index: Path, queries: Path, profile: bool, slowest: int, phases: bool) -> None:
    timer = Phases() if phases else None
    from search.engine import SearchEngine
    from search.errors import InvalidRequest
    from search.models import SearchRequest

    data = json.loads(queries.read_text())
    engine = SearchEngine(index)

    def run(text: str) -> int | None:
        try:
            return engine.search(SearchRequest(q=text)).total
        except InvalidRequest:  # a drawn title of stop words only
            return None

    engine.warm()
    for q in data["warmup"]:
        run(Query(**q).text)
    if timer:
        timer.take()
    profiler = cProfile.Profile() if profile else None
    rows = []
    for q in data["measured"]:
        text = Query(**q).text
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        total = run(text)
        if profiler:
            profiler.disable()
        ms = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
        spent = timer.take() if timer else {}
        if total is not None:
            rows.append((*ms, total, text, spent))
    wall_ms, cpu_ms = [r[0] for r in rows], [r[1] for r in rows]
    print(
        f"{len(rows)} queries, warm: wall p50/p95 {statistics.median(wall_ms):.1f}/"
        f"{p95(wall_ms):.1f} ms, CPU p50/p95 {statistics.median(cpu_ms):.1f}/{p95(cpu_ms):.1f}"
        f" ms (mean {statistics.fmean(cpu_ms):.1f}); load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    for wall, cpu, total, text, spent in sorted(rows, key=lambda r: -r[1])[:slowest]:
        print(f"  CPU {cpu:6.1f} ms  wall {wall:7.1f} ms  {total:6d} hits  {text}")
        if spent:
            print("      " + ", ".join(f"{k.strip()} {v * 1000:.1f}" for k, v in spent.items()))
    if timer:
        print("CPU ms per query, mean over the measured queries:")
        for label, *_ in PHASES:
            mean = statistics.fmean(r[4].get(label, 0.0) for r in rows) * 1000
            print(f"  {label:<16} {mean:6.2f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--queries", type=Path, required=True)
    p.add_argument("--index", type=Path, help="measure this index")
    p.add_argument("--draw", type=Path, help="draw the queries from this Whoosh index")
    p.add_argument("--n", type=int, default=300, help="queries to draw (with --draw)")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--slowest", type=int, default=10)
    p.add_argument("--phases", action="store_true", help="CPU of each step (Xapian index)")
    args = p.parse_args()
    if args.draw:
        measured = draw_queries(args.draw, args.n, seed=7)
        warmup = draw_queries(args.draw, 50, seed=8)
        args.queries.write_text(json.dumps({
            "measured": [q.peer() for q in measured], "warmup": [q.peer() for q in warmup],
        }))  # fmt: skip
    if args.index:
        measure(args.index, args.queries, args.profile, args.slowest, args.phases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
