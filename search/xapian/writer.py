"""The Xapian backend's write side (search.backend.Writer): a full build into a new database, or
an update of a copy of the live one.

Xapian rewrites blocks of its files in place, so an update cannot share the live build's files
through hard links as the Whoosh backend does: an update copies the live database folder (one
sequential copy: 0.6 s for the sample index's 278 MB) on its first add or delete, and writes the
copy (an update that changes nothing copies nothing). The live build is only ever read, so a
crash (kill -9) at any point leaves it untouched; the indexer switches the `current` link to
the new folder only after `commit`. A write the file system refuses is an OSError naming the
file or folder (search/xapian/files.py).

No spelling table (Xapian's add_spelling): did-you-mean reads the SPELL field's terms
(search/xapian/view.py), and the table, never read, cost ~10% of a build's CPU in its flushes
(bench/REPORT.md, 2026-12-07 xbuild7). Builds written before keep theirs, unread.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xapian

from search import fields as f
from search.backend import Stored
from search.xapian.files import copy_database, guarded, merge_parts, part_path
from search.xapian.schema import (
    DB_DIR,
    SLOT_HASH,
    SLOT_ID,
    SLOT_TYPE,
    id_term,
    make_document,
    term,
)
from search.xapian.shards import BUILD_KEY

# Documents buffered in memory between flushes (Xapian's default 10,000). Small batches cost
# less CPU per document (bench/README.md: 9,290 sample documents took 20.5 CPU-s with 20,000,
# 12.1 with 1,000, 10.1 with 250): the buffer's maps stay small and each flush only appends to
# the postlists. A flush of a build that is not live needs no fsync: `commit` syncs every file
# once at the end, before the indexer switches to the build.
FLUSH_THRESHOLD = 1_000
# A new build's database is written in parts of this many documents (0: one part), merged at
# commit by Xapian's compactor (search/xapian/files.py, merge_parts): each flush then merges
# its batch into a bounded part, not into B-trees that grow with the build (bench/REPORT.md,
# "Session 8: build at scale").
PART_DOCS = 40_000
IN_PLACE = xapian.DB_DANGEROUS  # not for builds (XapianWriter.extra_flags); bench/buildparts.py


class XapianWriter:
    """Writes one build folder's database; `before` is the database as it was before this
    writer (the live build's, read-only), or None for a new build; `source`, the live
    database folder an update copies on its first write."""

    def __init__(
        self,
        build: Path,
        before: xapian.Database | None,
        path: Path | None = None,
        source: Path | None = None,
    ) -> None:
        """`path`: the database's folder (default: the build's one database, DB_DIR)."""
        self.path = Path(path) if path is not None else Path(build) / DB_DIR
        self.version = Path(build).name
        # Xapian reads its own flush threshold from the environment when a database opens;
        # this writer flushes every FLUSH_THRESHOLD documents itself.
        os.environ.setdefault("XAPIAN_FLUSH_THRESHOLD", str(FLUSH_THRESHOLD + 1))
        self.source = source
        self._db: xapian.WritableDatabase | None = None
        self.before = before
        # A new build knows every id it wrote and in which part: a record met for the first
        # time is appended (the next docid) without asking Xapian for its id term, which a
        # replace_document or a term_exists looks up in every batch flushed so far; None for
        # an update.
        self.written: dict[str, int] | None = {} if before is None and source is None else None
        self.parts: list[Path] = []  # a new build's finished parts (PART_DOCS), oldest first
        self.later: dict[int, list[Callable[[xapian.WritableDatabase], None]]] = {}
        self.in_part = self.docid = 0  # documents in the part being written; the last docid
        # More xapian.DB_* flags (bench/buildparts.py --dangerous). Not DB_DANGEROUS for
        # builds: its in-place writes leave a third fewer bytes, but a refused write (a full
        # disk) is then an InvalidOperationError without the system's reason, or a crash of
        # the bindings reading it (bench/REPORT.md, 2026-12-07)
        self.extra_flags = 0
        self.pending = 0
        if source is None:
            self._open()  # a new build: the (empty) database now

    @property
    def db(self) -> xapian.WritableDatabase:
        """The database written (an update's copy of the live one is made on first use)."""
        return self._db if self._db is not None else self._open()

    @guarded
    def _open(self) -> xapian.WritableDatabase:
        if self.source is not None:
            copy_database(self.source, self.path)
        flags = xapian.DB_CREATE_OR_OPEN | xapian.DB_NO_SYNC | self.extra_flags
        self._db = xapian.WritableDatabase(str(self._part(len(self.parts))), flags)
        return self._db

    def _part(self, k: int) -> Path:
        """The folder of a new build's part k (the database's own folder until a second)."""
        return part_path(self.path, k) if self.parts else self.path

    def _next_part(self) -> None:
        """Close the full part and open the next one (the first moves into the parts'
        folder)."""
        self._flush()
        self.db.close()
        if not self.parts:
            part_path(self.path, 0).parent.mkdir()
            self.path.rename(part_path(self.path, 0))
        self.parts.append(part_path(self.path, len(self.parts)))
        self.in_part = 0
        self._open()

    def _earlier(self, k: int, change: Callable[[xapian.WritableDatabase], None]) -> None:
        """Apply `change` to finished part k (a record met again, or deleted), with the
        part's other changes once FLUSH_THRESHOLD wait, or at commit."""
        waiting = self.later.setdefault(k, [])
        waiting.append(change)
        if len(waiting) >= FLUSH_THRESHOLD:
            self._apply(k)

    def _apply(self, k: int) -> None:
        db = xapian.WritableDatabase(str(self.parts[k]), xapian.DB_OPEN | xapian.DB_NO_SYNC)
        try:
            for change in self.later.pop(k, []):
                change(db)
            db.commit()
        finally:
            db.close()

    # -- writes ------------------------------------------------------------------------------
    @guarded
    def add(self, record_id: str, document: dict[str, Any]) -> bool:
        existed = self.put(record_id, make_document(document)[0])
        self._counted()
        return existed

    @guarded
    def add_made(self, record_id: str, serialised: bytes) -> bool:
        """`add` of a document made elsewhere (xapian.Document.serialise: the term list,
        positions, values and data)."""
        existed = self.put(record_id, xapian.Document.unserialise(serialised))
        self._counted()
        return existed

    def put(self, record_id: str, doc: xapian.Document) -> bool:
        """Write a made document (make_document) under its id, unflushed; whether the id was
        there."""
        key = id_term(record_id)
        if self.written is not None:
            k = self.written.get(record_id)
            if k is None:
                if PART_DOCS and self.in_part >= PART_DOCS:
                    self._next_part()
                self.written[record_id] = len(self.parts)
                self.docid += 1
                if self.parts and not self.in_part:  # a part's first: the build's next docid
                    self.db.replace_document(self.docid, doc)
                else:  # appended: the part's last docid + 1, which is the build's next
                    self.db.add_document(doc)
                self.in_part += 1
                return False
            if k < len(self.parts):
                self._earlier(k, lambda db: db.replace_document(key, doc))
                return True
        existed = self.db.term_exists(key)
        self.db.replace_document(key, doc)
        return existed

    @guarded
    def delete(self, record_id: str) -> bool:
        key = id_term(record_id)
        if self.written is not None:
            k = self.written.pop(record_id, None)
            if k is None:
                return False
            if k < len(self.parts):
                self._earlier(k, lambda db: db.delete_document(key))
                return True
        elif not self.db.term_exists(key):
            return False
        self.db.delete_document(key)
        self._counted()
        return True

    def _counted(self) -> None:
        self.pending += 1
        if self.pending >= FLUSH_THRESHOLD:
            self._flush()

    def _flush(self) -> None:
        """Write the buffered documents (the folder is not live yet: a flush is not a
        switch)."""
        self.db.commit()
        self.pending = 0

    @guarded
    def commit(self) -> None:
        self.db.set_metadata(BUILD_KEY, self.version)  # which build (search/xapian/shards.py)
        self._flush()
        self.db.close()
        if self.parts:  # the last one too; their docids are the build's: merged as they are
            for k in list(self.later):
                self._apply(k)
            self.parts.append(part_path(self.path, len(self.parts)))
            merge_parts(self.parts, self.path)
            shutil.rmtree(self.parts[0].parent)
            self.parts = []
        sync_folder(self.path)
        if self.before is not None:
            self.before.close()

    def counts(self) -> dict[str, int]:
        """After commit: records per type (a term's frequency is exact in one database)."""
        db = xapian.Database(str(self.path))
        try:
            return {kind: db.get_termfreq(term(f.TYPE, kind)) for kind in f.TYPES}
        finally:
            db.close()

    def cancel(self) -> None:
        # Closing a WritableDatabase commits what it holds: forget the writes by removing them
        # (a database the file system refused to write may refuse again: it goes all the same).
        if self._db is not None:
            try:
                self._db.close()
            except xapian.Error:
                pass
        if self.before is not None:
            self.before.close()
        shutil.rmtree(self.path, ignore_errors=True)
        shutil.rmtree(part_path(self.path, 0).parent, ignore_errors=True)

    # -- the build before this writer --------------------------------------------------------
    def _docid(self, record_id: str) -> int | None:
        if self.before is None:
            return None
        for item in self.before.postlist(id_term(record_id)):
            return item.docid
        return None

    def stored(self, record_id: str) -> Stored | None:
        docid = self._docid(record_id)
        if docid is None:
            return None
        doc = self.before.get_document(docid)
        return Stored(
            id=doc.get_value(SLOT_ID).decode("utf-8"),
            type=doc.get_value(SLOT_TYPE).decode("utf-8"),
            hash=doc.get_value(SLOT_HASH).decode("utf-8"),
            record=f.unpack_record(doc.get_data()),
        )

    def ids_with(self, field: str, value: str) -> list[str]:
        if self.before is None:
            return []
        db = self.before
        return [
            db.get_document(p.docid).get_value(SLOT_ID).decode("utf-8")
            for p in db.postlist(term(field, value))
        ]


def sync_folder(folder: Path) -> None:
    """fsync every file of the database folder and the folder (its commits did not)."""
    for path in folder.iterdir():
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create(build: Path) -> XapianWriter:
    """A writer of a new, empty database in the (empty) build folder."""
    return XapianWriter(build, None)


def update(live: Path, build: Path) -> XapianWriter:
    """A writer of a copy of the live build's database in the (empty) build folder, made on
    its first add or delete."""
    source = Path(live) / DB_DIR
    return XapianWriter(build, xapian.Database(str(source)), source=source)
