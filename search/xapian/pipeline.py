"""A new build's databases written by forked writer processes while the indexer's process parses.

The indexer's process routes each record to a database (one for a one-database build, one per
shard) and sends it in batches over a bounded queue to that database's writer process: as the
index document (the writer makes the Xapian document), or as the Xapian document already made
and serialised (xapian.Document.serialise: the writer only unserialises and adds it). Which of
the two is chosen per batch (BALANCED): the indexer makes the documents while the writer's queue
is at least half full (the writer is the slower side), else the writer makes them. Parsing and
Xapian's own work then keep two cores busy whatever the mix of records (bench/REPORT.md,
"Issues #12/#13", 2026-12-07 xbuild7). A record met again with the content hash of its copy
sent last is not sent again (the same document would replace itself; ../shared/data holds
11,018 such copies of trials and articles among 98,353 records read: "Session 10: build CPU"),
nor made into a document: the build asks `unwritten` before making it (indexer/build.py).

A writer process dies with the indexer's process (Linux's PR_SET_PDEATHSIG, and a check of its
parent): a killed build leaves no writer behind holding the index's lock (an inherited flock).
"""

from __future__ import annotations

import ctypes
import errno
import multiprocessing
import os
import queue
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xapian

from search import fields as f
from search.xapian.schema import make_document, term
from search.xapian.shards import SHARDS_DIR
from search.xapian.writer import XapianWriter

BATCH = 200  # documents sent to a writer process at a time
QUEUED_BATCHES = 8  # batches waiting per writer process (bounds the parser's lead)
ADD, DELETE, MADE = "add", "delete", "made"
HERE, THERE, BALANCED = "here", "there", "balanced"  # where the Xapian documents are made
WRITTEN = "written"  # sent after the last batch: the writer answers once it has added them
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux); exit now if it has."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's check below is all there is
        pass
    if os.getppid() != parent:
        os._exit(1)


def _write(build: str, path: str, k: int, jobs: Any, results: Any, parent: int) -> None:
    """A writer process: write the batches of `jobs` into the database at `path` until None,
    then commit; report (k, None) or (k, the error as OSError arguments) on `results`."""
    _die_with(parent)
    try:
        writer = XapianWriter(Path(build), None, Path(path))
        while True:
            try:
                batch = jobs.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent:  # the indexer is gone: so is this build
                    os._exit(1)
                continue
            if batch is None:
                break
            if batch == WRITTEN:
                results.put((k, WRITTEN))
                continue
            for op, record_id, item in batch:
                if op == MADE:
                    writer.add_made(record_id, item)
                elif op == ADD:
                    writer.add(record_id, item)
                else:
                    writer.delete(record_id)
        writer.commit()
        results.put((k, None))
    except OSError as e:
        results.put((k, (e.errno or errno.EIO, e.strerror or str(e), e.filename)))
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which raises it
        results.put((k, (errno.EIO, f"{Path(path).name}: {type(e).__name__}: {e}", None)))


class ForkedWriter:
    """A new build's databases (search.backend.Writer), each written by its own process:
    `paths` maps a database's number to its folder, `route` a record id to a database's
    number (None: a database written elsewhere, `--shard K/N`); `make`: where the Xapian
    documents are made (HERE, THERE: in the writer process, or BALANCED)."""

    def __init__(
        self,
        build: Path,
        paths: dict[int, Path],
        route: Callable[[str], int | None],
        make: str = BALANCED,
    ) -> None:
        self.build, self.paths, self.route, self.make = Path(build), paths, route, make
        for path in paths.values():  # a folder the file system refuses is refused here
            XapianWriter(self.build, None, path).db.close()
        ctx = multiprocessing.get_context("fork")  # inherits the loaded modules: starts at once
        self.results = ctx.Queue()
        self.jobs = {k: ctx.Queue(QUEUED_BATCHES) for k in paths}
        self.batches: dict[int, list[tuple[str, str, Any]]] = {k: [] for k in paths}
        # each record sent: the content hash of its copy sent last (a record met again with
        # the same content is not sent again: its document would be the same, and replacing a
        # document by itself leaves the database as it was; `unchanged` counts them)
        self.seen: dict[str, str | None] = {}
        self.unchanged = 0
        self.making = dict.fromkeys(paths, make == HERE)  # the batch being filled: made here
        self.waiting: set[int] = set()  # writers yet to say they added every record sent
        parent = os.getpid()
        self.procs = {
            k: ctx.Process(
                target=_write,
                args=(str(self.build), str(path), k, self.jobs[k], self.results, parent),
                name=f"xapian-writer-{k}",
                daemon=True,
            )
            for k, path in paths.items()
        }
        for proc in self.procs.values():
            proc.start()

    def _send(self, k: int, item: tuple[str, str, Any]) -> None:
        batch = self.batches[k]
        batch.append(item)
        if len(batch) >= BATCH:
            self._put(k, batch)
            self.batches[k] = []

    def _put(self, k: int, batch: list | str | None) -> None:
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
                    raise self._stopped(dead[0]) from None
                return
            if error == WRITTEN:
                self.waiting.discard(k)
            elif error is not None:
                raise OSError(*error)
            else:
                self.procs.pop(k).join()
            wait = 0.0

    def _stopped(self, k: int) -> OSError:
        which = f"shard {k}" if self.paths[k].parent.name == SHARDS_DIR else "the database"
        return OSError(errno.EIO, f"the writer of {which} stopped ({self.procs[k].exitcode})")

    def add(self, record_id: str, document: dict[str, Any]) -> bool:
        k = self.route(record_id)
        if k is None:
            return False  # another machine's shard (--shard K/N)
        digest = document.get(f.HASH)
        existed = record_id in self.seen
        if existed and digest is not None and self.seen[record_id] == digest:
            self.unchanged += 1
            return True
        self.seen[record_id] = digest
        if not self.batches[k] and self.make == BALANCED:  # a new batch: which side is slower
            self.making[k] = self.jobs[k].qsize() >= QUEUED_BATCHES // 2
        if self.making[k]:
            self._send(k, (MADE, record_id, make_document(document)[0].serialise()))
        else:
            self._send(k, (ADD, record_id, document))
        return existed

    def unwritten(self, record_id: str, digest: str) -> bool | None:
        """What `add` would answer for a copy of the record with the content hash `digest`
        when it would write nothing, asked before the document is made (indexer/build.py):
        True for a copy met again unchanged, False for a record of a database written
        elsewhere; None when `add` writes it."""
        if self.route(record_id) is None:
            return False
        if record_id in self.seen and self.seen[record_id] == digest:
            self.unchanged += 1
            return True
        return None

    def delete(self, record_id: str) -> bool:
        k = self.route(record_id)
        if k is None or record_id not in self.seen:
            return False
        del self.seen[record_id]
        self._send(k, (DELETE, record_id, None))
        return True

    def stored(self, record_id: str) -> None:
        return None  # a new build: nothing before it

    def ids_with(self, field: str, value: str) -> list[str]:
        return []

    def wait_written(self) -> None:
        """Send the last batches and wait until every writer has added them (its error, such
        as a full disk, is raised now): what remains is the commit."""
        for k, batch in self.batches.items():
            if batch:
                self._put(k, batch)
                self.batches[k] = []
        self.waiting = set(self.procs)
        for k in self.waiting:
            self._put(k, WRITTEN)  # type: ignore[arg-type]
        while self.waiting:
            self._check(block=True)
            self._check(block=False)  # a writer that died without a word

    def commit(self) -> None:
        for k in self.paths:
            if self.batches[k]:
                self._put(k, self.batches[k])
            self._put(k, None)
        while self.procs:
            self._check(block=True)
            for k, proc in list(self.procs.items()):
                if not proc.is_alive() and proc.exitcode:
                    raise self._stopped(k)

    def counts(self) -> dict[str, int]:
        return counts(list(self.paths.values()))

    def cancel(self) -> None:
        for proc in self.procs.values():
            proc.kill()
            proc.join()
        self.procs.clear()
        for path in self.paths.values():
            shutil.rmtree(path, ignore_errors=True)


def counts(paths: list[Path]) -> dict[str, int]:
    """Records per type in the committed databases (a term's frequency is exact in each)."""
    out = dict.fromkeys(f.TYPES, 0)
    for path in paths:
        db = xapian.Database(str(path))
        try:
            for kind in f.TYPES:
                out[kind] += db.get_termfreq(term(f.TYPE, kind))
        finally:
            db.close()
    return out
