"""Writing a sharded Xapian build (search/xapian/shards.py has the layout).

A full build runs one writer process per shard written: the indexer's process parses the
sources and makes each record's document, then routes it (by shard_of its id) in batches over a
queue to its shard's process, which analyses it and writes that shard's database. Parsing and
writing then keep every core busy. An update (small by nature) writes in the indexer's process:
each shard is copied from the live build on its first write (or at commit, untouched), so the
new build again holds every shard and the indexer switches them in together.
"""

from __future__ import annotations

import errno
import multiprocessing
import queue
import shutil
from pathlib import Path
from typing import Any

import xapian

from search import fields as f
from search.backend import Stored
from search.xapian.files import copy_database
from search.xapian.schema import term
from search.xapian.shards import SHARDS_DIR, shard_dirs, shard_of
from search.xapian.writer import XapianWriter

BATCH = 200  # documents sent to a writer process at a time
QUEUED_BATCHES = 8  # batches waiting per writer process (bounds the parser's lead)
ADD, DELETE = "add", "delete"


def shard_path(build: Path, k: int) -> Path:
    return Path(build) / SHARDS_DIR / str(k)


def _counts(paths: list[Path]) -> dict[str, int]:
    out = dict.fromkeys(f.TYPES, 0)
    for path in paths:
        db = xapian.Database(str(path))
        try:
            for kind in f.TYPES:
                out[kind] += db.get_termfreq(term(f.TYPE, kind))
        finally:
            db.close()
    return out


def _write_shard(build: str, k: int, jobs: Any, results: Any) -> None:
    """A writer process: write the batches of `jobs` into shard k until None, then commit."""
    try:
        writer = XapianWriter(Path(build), None, shard_path(Path(build), k))
        while (batch := jobs.get()) is not None:
            for op, record_id, document in batch:
                if op == ADD:
                    writer.add(record_id, document)
                else:
                    writer.delete(record_id)
        writer.commit()
        results.put((k, None))
    except OSError as e:
        results.put((k, (e.errno or errno.EIO, e.strerror or str(e), e.filename)))
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which raises it
        results.put((k, (errno.EIO, f"shard {k}: {type(e).__name__}: {e}", None)))


class ParallelWriter:
    """A full build of `shards` shards (search.backend.Writer), or of shard `only` alone."""

    def __init__(self, build: Path, shards: int, only: int | None = None) -> None:
        self.build, self.shards, self.only = Path(build), shards, only
        self.written = [only] if only is not None else list(range(shards))
        ctx = multiprocessing.get_context("fork")  # inherits the loaded modules: starts at once
        self.results = ctx.Queue()
        self.jobs = {k: ctx.Queue(QUEUED_BATCHES) for k in self.written}
        self.batches: dict[int, list[tuple[str, str, Any]]] = {k: [] for k in self.written}
        self.seen: set[str] = set()
        (self.build / SHARDS_DIR).mkdir(parents=True, exist_ok=True)
        self.procs = {
            k: ctx.Process(
                target=_write_shard,
                args=(str(self.build), k, self.jobs[k], self.results),
                name=f"shard-writer-{k}",
                daemon=True,
            )
            for k in self.written
        }
        for proc in self.procs.values():
            proc.start()

    def _send(self, k: int, item: tuple[str, str, Any]) -> None:
        batch = self.batches[k]
        batch.append(item)
        if len(batch) >= BATCH:
            self._put(k, batch)
            self.batches[k] = []

    def _put(self, k: int, batch: list | None) -> None:
        while True:
            try:
                self.jobs[k].put(batch, timeout=0.5)
                return
            except queue.Full:
                self._check(block=False)

    def _check(self, block: bool) -> None:
        """Raise the error of a writer process that failed or died; join the ones done
        (`block`: wait up to a second for one)."""
        wait = 1.0 if block else 0.0
        while True:
            try:
                k, error = self.results.get(timeout=wait) if wait else self.results.get_nowait()
            except queue.Empty:
                dead = [k for k, p in self.procs.items() if not p.is_alive()]
                if dead and not block:
                    code = self.procs[dead[0]].exitcode
                    stopped = f"the writer of shard {dead[0]} stopped ({code})"
                    raise OSError(errno.EIO, stopped) from None
                return
            if error is not None:
                raise OSError(*error)
            self.procs.pop(k).join()
            wait = 0.0

    def add(self, record_id: str, document: dict[str, Any]) -> bool:
        k = shard_of(record_id, self.shards)
        if k not in self.jobs:
            return False  # another machine's shard (--shard K/N)
        existed = record_id in self.seen
        self.seen.add(record_id)
        self._send(k, (ADD, record_id, document))
        return existed

    def delete(self, record_id: str) -> bool:
        if record_id not in self.seen:
            return False
        self.seen.discard(record_id)
        self._send(shard_of(record_id, self.shards), (DELETE, record_id, None))
        return True

    def stored(self, record_id: str) -> Stored | None:
        return None  # a new build: nothing before it

    def ids_with(self, field: str, value: str) -> list[str]:
        return []

    def commit(self) -> None:
        for k in self.written:
            if self.batches[k]:
                self._put(k, self.batches[k])
            self._put(k, None)
        while self.procs:
            self._check(block=True)
            for k, proc in list(self.procs.items()):
                if not proc.is_alive() and proc.exitcode:
                    raise OSError(errno.EIO, f"the writer of shard {k} stopped ({proc.exitcode})")

    def counts(self) -> dict[str, int]:
        return _counts([shard_path(self.build, k) for k in self.written])

    def cancel(self) -> None:
        for proc in self.procs.values():
            proc.kill()
            proc.join()
        self.procs.clear()
        shutil.rmtree(self.build / SHARDS_DIR, ignore_errors=True)


class ShardedUpdate:
    """An update of a sharded build (search.backend.Writer): each change goes to its shard."""

    def __init__(self, live: Path, build: Path) -> None:
        self.live, self.build = Path(live), Path(build)
        self.sources = shard_dirs(self.live)
        self.shards = len(self.sources)
        self.before = [xapian.Database(str(p)) for p in self.sources]
        self.writers: dict[int, XapianWriter] = {}

    def _writer(self, k: int) -> XapianWriter:
        writer = self.writers.get(k)
        if writer is None:
            target = shard_path(self.build, k)
            copy_database(self.sources[k], target)  # OSError names the file
            writer = XapianWriter(self.build, self.before[k], target)
            self.writers[k] = writer
        return writer

    def _reader(self, record_id: str) -> XapianWriter:
        """A writer able to read the record's shard before this update (not copying it)."""
        k = shard_of(record_id, self.shards)
        return self.writers.get(k) or _Before(self.before[k])

    def add(self, record_id: str, document: dict[str, Any]) -> bool:
        return self._writer(shard_of(record_id, self.shards)).add(record_id, document)

    def delete(self, record_id: str) -> bool:
        k = shard_of(record_id, self.shards)
        if k not in self.writers and self._reader(record_id).stored(record_id) is None:
            return False  # nothing to delete: leave the shard uncopied
        return self._writer(k).delete(record_id)

    def stored(self, record_id: str) -> Stored | None:
        return self._reader(record_id).stored(record_id)

    def ids_with(self, field: str, value: str) -> list[str]:
        return [i for db in self.before for i in _Before(db).ids_with(field, value)]

    def commit(self) -> None:
        for k in range(self.shards):
            self._writer(k)  # untouched shards: copied as they are (with this build's name)
        for writer in self.writers.values():
            writer.before = None  # closed below, once
            writer.commit()
        for db in self.before:
            db.close()

    def counts(self) -> dict[str, int]:
        return _counts([shard_path(self.build, k) for k in range(self.shards)])

    def cancel(self) -> None:
        for writer in self.writers.values():
            writer.before = None
            writer.cancel()
        for db in self.before:
            db.close()
        shutil.rmtree(self.build / SHARDS_DIR, ignore_errors=True)


class _Before(XapianWriter):
    """The read side of XapianWriter over a live shard (no database of its own)."""

    def __init__(self, before: xapian.Database) -> None:  # noqa: D107 - no writable database
        self.before = before


def create(build: Path, shards: int = 1, only: int | None = None) -> Any:
    """A writer of a new build: one database, or `shards` shards (only shard `only`)."""
    if shards <= 1 and only is None:
        from search.xapian.writer import create as create_one

        return create_one(build)
    return ParallelWriter(build, shards, only)


def update(live: Path, build: Path) -> Any:
    """A writer of an update of the live build, sharded as the live build is."""
    if (Path(live) / SHARDS_DIR).is_dir():
        return ShardedUpdate(live, build)
    from search.xapian.writer import update as update_one

    return update_one(live, build)


def gather(parts: list[Path], build: Path) -> None:
    """Copy the one shard each build of `parts` holds (built with `--shard K/N` elsewhere)
    into `build` as shards/K, each stamped with `build`'s name (search/xapian/shards.py)."""
    from search.xapian.shards import BUILD_KEY

    for part in parts:
        for source in shard_dirs(part):
            target = shard_path(build, int(source.name))
            copy_database(source, target)
            db = xapian.WritableDatabase(str(target), xapian.DB_OPEN)
            try:
                db.set_metadata(BUILD_KEY, Path(build).name)
                db.commit()
            finally:
                db.close()
