"""bench/perf.py's measuring children: each build, update and search pass runs in a fresh
process (`bench/perf.py --child KIND ...`), whose peak memory and CPU seconds are its own."""

from __future__ import annotations

import json
import resource
import statistics
import time
from pathlib import Path
from resource import RUSAGE_CHILDREN, RUSAGE_SELF

from bench.corpus import Query

PASS_BUDGET_S = 240.0  # a search pass stops here (plain Whoosh needs ~1.4 s a query on full)
OURS = {"ours": "whoosh", "ours-xapian": "xapian"}  # our engine -> its backend
RELATED = {"related": "ours", "related-xapian": "ours-xapian"}  # related items of each


def _peak_mb() -> float:
    """The peak of this process or of its largest child (a Xapian build's writer process)."""
    own, children = (resource.getrusage(w).ru_maxrss for w in (RUSAGE_SELF, RUSAGE_CHILDREN))
    return max(own, children) / 1024


def _engine(name: str):  # noqa: ANN202 - a peer class instance
    from bench.peers import PEERS

    return PEERS[name]()


def _cpu_s() -> float:
    """This process's CPU seconds and those of its children that ended (a Xapian build's writer
    processes, joined before the build returns)."""
    return sum(u.ru_utime + u.ru_stime
               for u in map(resource.getrusage, (RUSAGE_SELF, RUSAGE_CHILDREN)))  # fmt: skip


def child_build(engine: str, out: Path, paths: list[str]) -> dict:
    started = time.perf_counter()
    if engine in OURS:
        from indexer.build import rebuild_index

        report = rebuild_index(paths, out, backend=OURS[engine])
        records, size = sum(report.counts.values()), report.size_bytes
    else:
        from bench.corpus import peer_docs
        from bench.peers import size_bytes

        out.mkdir(parents=True)
        records = _engine(engine).build(peer_docs(paths), out)
        size = size_bytes(out)
    seconds = time.perf_counter() - started
    return {
        "records": records, "seconds": seconds, "cpu_s": _cpu_s(), "peak_mb": _peak_mb(),
        "size_mb": size / 1e6,
    }  # fmt: skip


def child_update(index: Path, paths: list[str]) -> dict:
    from indexer.update import update_index

    cpu = time.process_time()  # the update's own CPU (a build's cpu_s counts its imports too)
    report = update_index(paths, index)
    cpu = time.process_time() - cpu
    return {**report.summary(), "seconds": report.seconds, "cpu_s": cpu, "peak_mb": _peak_mb()}


def _timed(run, queries: list, budget: float, cpu: list | None = None) -> tuple[list, list]:  # noqa: ANN001
    """Milliseconds and totals of each query, in order, until `budget` seconds are spent;
    each query's CPU milliseconds (process time) go to `cpu` when given."""
    times, totals = [], []
    spent = 0.0
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        totals.append(run(q))
        times.append((time.perf_counter() - t) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c) * 1000)
        spent += times[-1] / 1000
        if spent > budget:
            break
    return times, totals


def child_search(engine: str, index: Path, queries_file: Path, mode: str) -> dict:
    """mode cold: each query once on a just-opened index, then (ours) again: repeat; mode
    warm: a warm-up set first, then each query once. A pass stops after PASS_BUDGET_S
    seconds: queries are in a fixed order, so every engine is measured on the same prefix."""
    data = json.loads(queries_file.read_text())
    measured = [Query(**q) for q in data["measured"]]
    warmup = [Query(**q) for q in data["warmup"]]
    started = time.perf_counter()
    ours_side = engine in OURS or engine in RELATED
    if ours_side:
        from search.engine import SearchEngine
        from search.errors import InvalidRequest
        from search.models import SearchRequest

        ours = SearchEngine(index)
        with ours.reader().lock:
            ours.reader().state()
        if engine in OURS:

            def run(q: Query) -> int:
                try:
                    return ours.search(SearchRequest(q=q.text)).total
                except InvalidRequest:  # e.g. a drawn stop word: refused with a reason, as a
                    return 0  # 400 is in the HTTP load; the peers find nothing for it
        else:
            measured, warmup = data["related"], data["related_warmup"]

            def run(q: str) -> int:  # type: ignore[misc]
                found = ours.related(q)
                return found.trials.total + found.articles.total + found.mesh.total
    else:
        peer = _engine(engine)
        peer.open(index)

        def run(q: Query) -> int:
            return peer.search(q.peer()).total

    opened = time.perf_counter() - started
    if mode == "warm":
        if ours_side:
            ours.warm()
        _timed(run, warmup, PASS_BUDGET_S)
    cpu: list[float] = []
    first, totals = _timed(run, measured, PASS_BUDGET_S, cpu)
    out = {"open_s": opened, "first": first, "cpu": cpu, "mean_total": statistics.mean(totals)}
    if mode == "cold" and ours_side:
        out["repeat"] = _timed(run, measured, PASS_BUDGET_S)[0]
    out["peak_mb"] = _peak_mb()
    return out
