"""`shards` and `gather`: the live shard databases of an index folder, and the shards built one
at a time on other machines (`build --shard K/N`) gathered into one index.

The shards of a build live in its one build folder (builds/<stamp>/shards/K), so `current`
switches all of them with one rename, for a build, an update or a gather alike.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from indexer import store
from indexer.errors import IndexerError
from search.backend import backend, databases
from search.store import build_meta, current_build


def live_databases(index_dir: Path) -> list[Path]:
    """The live build's databases: one per shard of a sharded build (absolute paths)."""
    build = current_build(index_dir)
    if build is None:
        raise IndexerError(f"no index in {index_dir}: run `python -m indexer build` first")
    return [p.resolve() for p in databases(build)]


def _part(index_dir: Path) -> tuple[Path, dict]:
    build = current_build(index_dir)
    if build is None:
        raise IndexerError(f"no index in {index_dir} to gather")
    meta = build_meta(build)
    if meta.get("backend") != "xapian" or meta.get("shard") is None:
        raise IndexerError(f"{index_dir} holds no `build --shard K/N` output to gather")
    return build, meta


def gather_shards(parts: list[Path], index_dir: Path) -> dict:
    """Copy the shards of `parts` (index folders, each the output of `build --shard K/N`, K
    from 0 to N-1 once each) into a new build of `index_dir` and make it live; its meta."""
    found = [_part(Path(p)) for p in parts]
    total = {int(m["shards"]) for _, m in found}
    numbers = sorted(int(m["shard"]) for _, m in found)
    if len(total) != 1 or numbers != list(range(next(iter(total)))):
        have = ", ".join(f"{m['shard']}/{m['shards']}" for _, m in found)
        raise IndexerError(f"the parts must be shards 0/N to N-1/N of one N, once each: {have}")
    counts: Counter[str] = Counter()
    snapshots: dict[str, str] = {}
    for _, meta in found:
        counts.update(meta.get("counts", {}))
        for key, date in meta.get("snapshots", {}).items():
            snapshots[key] = max(date, snapshots.get(key, ""))
    build = store.new_build_dir(index_dir)
    try:
        backend("xapian").gather([b for b, _ in found], build)
        meta = {
            "backend": "xapian",
            "shards": next(iter(total)),
            "counts": dict(counts),
            "snapshots": snapshots,
            "built_at": max(str(m.get("built_at") or "") for _, m in found) or store.now_iso(),
            "gathered_at": store.now_iso(),
            "updated_at": None,
            "gathered_from": [str(Path(p).resolve()) for p in parts],
        }
        store.write_meta(build, meta)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    store.switch_to(index_dir, build)
    return meta
