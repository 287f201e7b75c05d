"""Warm search latency of one index, query by query: p50/p95 wall and CPU, the slowest queries,
and optionally where their time goes (cProfile). bench/perf.py's warm pass, in one process and
with the detail a tuning session needs.

    # draw the queries (bench/corpus.py, from a Whoosh build; perf.py's queries.json format)
    .venv/bin/python bench/warm_search.py --draw WHOOSH_INDEX --queries Q.json --n 300
    # measure any index (either backend) on them
    nice -n 10 .venv/bin/python bench/warm_search.py --index DIR --queries Q.json [--profile]
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


def p95(values: list[float]) -> float:
    """As bench/perf_report.py's."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def measure(index: Path, queries: Path, profile: bool, slowest: int) -> None:
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
        if total is not None:
            ms = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
            rows.append((*ms, total, text))
    wall_ms, cpu_ms = [r[0] for r in rows], [r[1] for r in rows]
    print(
        f"{len(rows)} queries, warm: wall p50/p95 {statistics.median(wall_ms):.1f}/"
        f"{p95(wall_ms):.1f} ms, CPU p50/p95 {statistics.median(cpu_ms):.1f}/{p95(cpu_ms):.1f}"
        f" ms; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    for wall, cpu, total, text in sorted(rows, key=lambda r: -r[1])[:slowest]:
        print(f"  CPU {cpu:6.1f} ms  wall {wall:7.1f} ms  {total:6d} hits  {text}")
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
    args = p.parse_args()
    if args.draw:
        measured = draw_queries(args.draw, args.n, seed=7)
        warmup = draw_queries(args.draw, 50, seed=8)
        args.queries.write_text(json.dumps({
            "measured": [q.peer() for q in measured], "warmup": [q.peer() for q in warmup],
        }))  # fmt: skip
    if args.index:
        measure(args.index, args.queries, args.profile, args.slowest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
