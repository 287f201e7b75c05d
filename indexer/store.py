"""The index folder: builds side by side, an atomic `current` switch, a lock, metadata.

Layout of `--index DIR`:
    DIR/current        symlink to builds/<stamp>: what readers open (search/store.py)
    DIR/builds/<stamp> one complete index each (of the backend its meta.json names)
    DIR/lock           held (flock) by the one indexer process allowed to write
A build is written into a new builds/<stamp> folder and becomes live only by `os.replace` of a
new symlink over `current`: a crash at any point leaves either the old or the new build live.
An update does the same with a new folder that the backend's update writer starts as a copy of
the live build (the Whoosh backend: hard links to its segment files).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from indexer.errors import IndexerError, IndexLocked
from search.store import CURRENT, META_FILE, current_build

BUILDS = "builds"
LOCK = "lock"
KEEP_BUILDS = 2  # the live build and the one before it (readers may still hold it)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def new_build_dir(index_dir: Path) -> Path:
    """A fresh, empty folder for a build under DIR/builds/."""
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
    path = builds / f"{stamp}-{os.getpid()}"
    path.mkdir()
    return path


def switch_to(index_dir: Path, build: Path) -> None:
    """Make `build` the live index atomically (symlink + os.replace), then prune old builds."""
    link = index_dir / CURRENT
    tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(Path(BUILDS) / build.name)
    os.replace(tmp, link)
    _fsync_dir(index_dir)
    prune_builds(index_dir)


def read_build_meta(build: Path) -> dict[str, Any]:
    """A build's meta.json ({} when it has none)."""
    try:
        return json.loads((build / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def folder_size(build: Path) -> int:
    """Bytes of the files in a build folder (and its subfolders)."""
    return sum(p.stat().st_size for p in build.rglob("*") if p.is_file())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune_builds(index_dir: Path, keep: int = KEEP_BUILDS) -> None:
    """Keep the live build and the newest complete ones up to `keep` builds in all; remove the
    rest (and unfinished ones of crashed runs, which have no meta.json)."""
    live = current_build(index_dir)
    builds = sorted((index_dir / BUILDS).iterdir(), key=lambda p: p.name, reverse=True)
    kept = 1 if live is not None else 0
    for build in builds:
        if build == live:
            continue
        if kept < keep and (build / META_FILE).exists():
            kept += 1
            continue
        shutil.rmtree(build, ignore_errors=True)


def write_meta(build: Path, meta: dict[str, Any]) -> None:
    tmp = build / f".{META_FILE}.tmp"
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, build / META_FILE)


@contextlib.contextmanager
def index_lock(index_dir: Path, timeout: float = 10.0) -> Iterator[None]:
    """Hold DIR/lock for the whole command; after `timeout` seconds give up with IndexLocked."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                    raise IndexLocked(
                        f"index is locked by {holder}: another indexer is writing {index_dir}"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def check_writable(index_dir: Path) -> None:
    """Fail early, with a sentence, when the index folder cannot be written."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexerError(f"cannot create {index_dir}: {e.strerror}") from e
    if not os.access(index_dir, os.W_OK | os.X_OK):
        raise IndexerError(f"cannot write to {index_dir}: permission denied")
