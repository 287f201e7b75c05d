"""Writing a Xapian build: a new one (one database or shards), an update, shards gathered
(search/xapian/shards.py has the sharded layout).

A full build runs one writer process per database written (search/xapian/pipeline.py): the
indexer's process parses the sources and makes each record's index document, then routes it
(by shard_of its id) in batches over a queue to its database's process; the Xapian document is
made on whichever side is less busy. Parsing and writing then keep the cores busy. An update
(small by nature) writes in the indexer's process: each shard is copied from the live build on
its first write; a shard the update leaves untouched is shared with the live build (hard links
to its files: no writer opens a committed database, search/xapian/files.py), so the new build
again holds every shard, the indexer switches them in together, and an update costs the
shards it changes, not the whole index. Every shard an update writes records the build of each
shard of the new set (SET_KEY): remote readers tell a whole set from one being copied by it
(search/xapian/shards.py, whole_set).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import xapian

from search.backend import Stored
from search.xapian.files import copy_database
from search.xapian.pipeline import BALANCED, ForkedWriter, counts
from search.xapian.schema import DB_DIR
from search.xapian.shards import SET_KEY, SHARDS_DIR, shard_dirs, shard_of, version
from search.xapian.writer import XapianWriter, sync_folder


def shard_path(build: Path, k: int) -> Path:
    return Path(build) / SHARDS_DIR / str(k)


class ParallelWriter(ForkedWriter):
    """A full build of `shards` shards (search.backend.Writer), or of shard `only` alone: one
    writer process per shard written (search/xapian/pipeline.py)."""

    def __init__(self, build: Path, shards: int, only: int | None = None) -> None:
        self.shards, self.only = shards, only
        written = [only] if only is not None else list(range(shards))
        (Path(build) / SHARDS_DIR).mkdir(parents=True, exist_ok=True)
        paths = {k: shard_path(build, k) for k in written}
        super().__init__(build, paths, self._shard, make=BALANCED)

    def _shard(self, record_id: str) -> int | None:
        k = shard_of(record_id, self.shards)
        return k if k in self.paths else None

    def cancel(self) -> None:
        super().cancel()
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
        builds = [
            self.build.name if k in self.writers else version(self.before[k])
            for k in range(self.shards)
        ]
        for k in range(self.shards):
            if k not in self.writers:  # untouched: shared with the live build as it is
                copy_database(self.sources[k], shard_path(self.build, k), link=True)
                sync_folder(shard_path(self.build, k))
        for writer in self.writers.values():
            writer.before = None  # closed below, once
            writer.db.set_metadata(SET_KEY, "|".join(builds))
            writer.commit()
        for db in self.before:
            db.close()
        sync_folder(self.build / SHARDS_DIR)

    def counts(self) -> dict[str, int]:
        return counts([shard_path(self.build, k) for k in range(self.shards)])

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
    """A writer of a new build: one database, or `shards` shards (only shard `only`), each
    written by a process of its own while this one parses (search/xapian/pipeline.py)."""
    if shards <= 1 and only is None:
        return ForkedWriter(build, {0: Path(build) / DB_DIR}, lambda record_id: 0, make=BALANCED)
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
                db.set_metadata(SET_KEY, "")  # one build's set (a part's updates before: gone)
                db.commit()
            finally:
                db.close()
