"""bench/perf.py's figures saved step by step, and the queries drawn from any of our builds.

A full run (bench/perf.py) is an hour or more of builds, an update and search passes; each
step's figures are written to the dataset's JSON file (bench/out/perf/NAME.json, the format
`--render` reads) as soon as the step ends, so a run that stops early keeps what it measured
and a rerun skips every step already saved. Steps are named

    build/ENGINE/SOURCE    update/ENGINE    queries    search/ENGINE/MODE    http

and `--redo PATTERN...` (shell patterns of those names: 'search/*', 'build/ours/all') runs
the steps it names again; a step that runs again drops the saved steps measured on what it
replaced (a build: its update and its searches; the queries: every search).

Queries (bench/corpus.py `draw_queries`) and related-items ids are drawn, seeded, from the
records of one of our builds through the backend-neutral index view (search/view.py), so a run
without the Whoosh engine `ours` draws them from `ours-xapian`: the same queries
(tests/test_perf_report.py).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from bench.corpus import live_documents

# our engines, in the order a run draws its queries from the first one it has
SOURCES = ("ours", "ours-xapian")
UPDATE_KEYS = {"ours": "update", "ours-xapian": "update_xapian"}  # where an update is saved


def save(res: dict, path: Path) -> None:
    """The raw figures (tuple keys joined with '|'), so a report can be rendered again."""
    flat = {k: ({"|".join(x): y for x, y in v.items()} if k in ("builds", "search") else v)
            for k, v in res.items()}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(flat))
    tmp.replace(path)  # a run stopped while writing leaves the last whole file


def load(path: Path) -> dict:
    raw = json.loads(path.read_text())
    return {k: ({tuple(x.split("|")): y for x, y in v.items()} if k in ("builds", "search") else v)
            for k, v in raw.items()}  # fmt: skip


def _slot(step: str) -> tuple[str, Any]:
    """Where a step's figures are kept in a run's results: (key, sub-key or None)."""
    kind, _, rest = step.partition("/")
    if kind in ("build", "search"):
        return kind + ("s" if kind == "build" else ""), tuple(rest.split("/"))
    if kind == "update":
        return UPDATE_KEYS[rest], None
    return kind, None


class Steps:
    """The results of one dataset's run (perf_report's dict), loaded from `path` when a run
    saved some, and saved again after every step."""

    def __init__(self, path: Path, name: str, redo: Sequence[str] = (), fresh: bool = False):
        self.path, self.redo = path, list(redo)
        self.res: dict = load(path) if path.exists() and not fresh else {}
        self.res["dataset"] = name
        self.res.setdefault("builds", {})
        self.res.setdefault("search", {})

    def saved(self, step: str) -> bool:
        """Whether the step's figures are kept (saved and not named by --redo)."""
        key, sub = _slot(step)
        held = key in self.res and (sub is None or sub in self.res[key])
        return held and not any(fnmatch(step, p) for p in self.redo)

    def drop(self, *patterns: str) -> None:
        """Forget the saved steps matching any of `patterns` (they are measured again)."""
        for key, sub in [("builds", b) for b in self.res["builds"]] + [
            ("search", s) for s in self.res["search"]
        ]:
            name = ("build/" if key == "builds" else "search/") + "/".join(sub)
            if any(fnmatch(name, p) for p in patterns):
                del self.res[key][sub]
        for engine, key in UPDATE_KEYS.items():
            if any(fnmatch(f"update/{engine}", p) for p in patterns):
                self.res.pop(key, None)
        for key in ("queries", "http"):
            if any(fnmatch(key, p) for p in patterns):
                self.res.pop(key, None)

    def put(self, step: str, value: Any) -> Any:
        key, sub = _slot(step)
        if sub is None:
            self.res[key] = value
        else:
            self.res[key][sub] = value
        save(self.res, self.path)
        return value


def query_source(engines: Sequence[str]) -> str:
    """The build the queries are drawn from: `ours`, else `ours-xapian` (the same records)."""
    for engine in SOURCES:
        if engine in engines:
            return engine
    raise SystemExit(
        "bench/perf.py draws its queries from one of our builds of the records: "
        f"--engines needs {' or '.join(SOURCES)}"
    )


def record_ids(index: Path, n: int) -> list[str]:
    """Record ids of every type, seeded: n to measure, then up to 100 to warm up with."""
    reader, view, docnums = live_documents(index)
    with reader.lock:
        ids = [view.head(d).id for d in docnums]
    random.Random(9).shuffle(ids)
    return ids[: n + min(100, n // 2)]
