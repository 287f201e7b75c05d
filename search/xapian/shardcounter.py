"""One shard database held open for counting (search/xapian/counting.py) and for reading its
documents and term statistics (search/xapian/termstats.py), in a count server
(search/xapian/countserver.py) or in a local build's reader (search/xapian/localcounters.py):
each new build the path holds opened (its arrays read) while counts go on on the one before,
which stays open while counts name it, then is closed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, TypeVar

import xapian

from search.xapian import termstats
from search.xapian.counting import Counted, Group, Range, count
from search.xapian.shards import version
from search.xapian.tables import Tables
from search.xapian.typestats import TypeCounts, kinds_of

T = TypeVar("T")


class Shard(NamedTuple):
    """One opened build of a shard database: its build name, documents and arrays (counted
    on `db`), and a second handle (`reader`, its own lock) that reads documents and term
    statistics meanwhile, with their frequencies per record type (`types`)."""

    key: tuple
    build: str
    db: xapian.Database
    tables: Tables
    reader: xapian.Database
    types: TypeCounts
    documents: int


def _key(path: Path) -> tuple:
    """What changes when the database at `path` does: the folder it resolves to (a `current`
    link switched to a new build) and its version file (a replica brought up to date)."""
    real = os.path.realpath(path)
    try:
        stat = os.stat(os.path.join(real, "iamglass"))
    except OSError:
        return (real,)
    return (real, stat.st_ino, stat.st_mtime_ns, stat.st_size)


class ShardCounter:
    """Counts on the shard database at `path` (often DIR/current/shards/K, or a replica):
    reopened when it changes, as `xapian-tcpsrv` serves each new connection the database the
    path holds then. A new build is opened (its arrays read) while counts go on on the previous
    one, which stays open while counts name it (a web node switches to a new build only once
    every shard holds it) and for RETIRE seconds after the last; then it is closed. One count at
    a time, and one read of documents or statistics beside it, each on a database handle of its
    own (a xapian.Database is not thread-safe): a page's documents do not wait for the counts
    sent before its ranking."""

    RETIRE = 60.0  # seconds a build no longer the newest stays open after a count named it
    KEPT = 2  # builds open at most (the oldest closed first)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lock = threading.Lock()  # the open builds (held briefly)
        self.counting = threading.Lock()  # counting on a build's `db` (taken after `lock`)
        self.reading = threading.Lock()  # reading on a build's `reader` (taken after `lock`)
        self._opening = threading.Lock()  # one build opened at a time
        self._open: list[Shard] = []  # newest last
        self._used: dict[str, float] = {}  # build -> when a count last named it

    def current(self) -> Shard:
        """The database the path holds now, opened (and its arrays read) if it is new; counts
        on the open builds go on meanwhile (call without `lock`)."""
        key = _key(self.path)
        found = self._open[-1] if self._open else None
        if found is not None and found.key == key:
            return found
        with self._opening:
            found = self._open[-1] if self._open else None
            if found is not None and found.key == key:
                return found  # (opened while this waited)
            db, reader = self._open_pair()
            tables = Tables(db)
            tables.warm()
            tables.joined()  # (count(): every field of a group in one pass)
            kinds = kinds_of(reader)  # (a word's documents' types: its postings read, or few)
            types = TypeCounts(reader, lambda: kinds)
            shard = Shard(key, version(db), db, tables, reader, types, db.get_doccount())
            with self.lock:
                self._open = [s for s in self._open if s.build != shard.build] + [shard]
                self._used[shard.build] = time.monotonic()
                while len(self._open) > self.KEPT:
                    self._close(self._open[0])
            return shard

    def _open_pair(self) -> tuple[xapian.Database, xapian.Database]:
        """Two handles on the same revision of the database at the path (opened again when
        it changed between the two openings)."""
        for _ in range(10):
            db, reader = xapian.Database(str(self.path)), xapian.Database(str(self.path))
            if (version(db), db.get_revision()) == (version(reader), reader.get_revision()):
                return db, reader
            db.close()
            reader.close()
        raise xapian.DatabaseOpeningError(f"{self.path} kept changing while it was opened")

    def _close(self, shard: Shard) -> None:
        self._open.remove(shard)
        self._used.pop(shard.build, None)
        with self.counting, self.reading:  # (after a count or read of it going on)
            shard.db.close()
            shard.reader.close()

    def _held(self, build: str) -> Shard | None:
        """The open shard of `build` ('': the newest), None if it is not open; the builds no
        count named for RETIRE seconds closed (call under `lock`)."""
        now = time.monotonic()
        found = next((s for s in reversed(self._open) if not build or s.build == build), None)
        if found is not None:
            self._used[found.build] = now
        for old in self._open[:-1]:
            if now - self._used.get(old.build, 0.0) > self.RETIRE:
                self._close(old)
        return found

    def _on(
        self, build: str, read: Callable[[Shard], T], reader: bool = False
    ) -> tuple[str, T] | None:
        """`read` of the open shard of `build` ('': the newest), and its name; None when the
        shard no longer holds that build (or never did). `read` counts on the shard's `db`
        (under `counting`), or with `reader` reads on its `reader` only (under `reading`)."""
        self.current()
        using = self.reading if reader else self.counting
        while True:
            with self.lock:
                shard = self._held(build)
                if shard is None:
                    return None
                if using.acquire(blocking=False):  # (under `lock`: the shard stays open)
                    break
            with using:  # the count (or read) going on done, look again (not waiting
                pass  # under `lock`: the other handle's requests go on meanwhile)
        try:
            return shard.build, read(shard)
        except xapian.DatabaseModifiedError:  # a replica brought up to date under it
            pass
        finally:
            using.release()
        with self.lock:
            if shard in self._open:
                self._close(shard)
        return None

    def count(
        self,
        query: xapian.Query,
        groups: list[Group],
        build: str = "",
        ranges: tuple[Range, ...] = (),
    ) -> tuple[str, list[Counted]] | None:
        """The counts on `build` ('': the newest), and its name (None: see `_on`)."""
        return self._on(build, lambda shard: count(shard.db, shard.tables, query, groups, ranges))

    def stats(
        self, terms: list[str], prefixes: list[str], build: str = "", held: Sequence[str] = ()
    ) -> tuple[str, termstats.Answer] | None:
        """The statistics of `terms`, listings under `prefixes` and postings of `held` on
        `build` (search/xapian/termstats.py), and its name (None: see `_on`)."""

        def read(shard: Shard) -> termstats.Answer:
            return termstats.shard_stats(shard.reader, shard.types, terms, prefixes, held)

        return self._on(build, read, reader=True)

    def documents(self, docids: list[int], build: str = "") -> tuple[str, dict] | None:
        """The data and values of the shard's documents `docids` on `build`
        (search/xapian/termstats.py), and its name (None: see `_on`)."""
        return self._on(
            build,
            lambda shard: {"documents": termstats.shard_documents(shard.reader, docids)},
            reader=True,
        )

    def watch(self, every: float = 1.0) -> None:
        """Open the path's new build as soon as it changes, before a count asks for it (run
        in a thread of its own; an error is logged and tried again)."""
        while True:
            time.sleep(every)
            try:
                self.current()
            except xapian.Error as e:
                logging.getLogger("countserver").warning("%s: %s", self.path, e)

    def close(self) -> None:
        with self.lock:
            for shard in list(self._open):
                self._close(shard)

    def status(self) -> dict[str, object]:
        """The newest build's name and documents."""
        shard = self.current()
        with self.lock:
            return {"build": shard.build, "documents": shard.documents}
