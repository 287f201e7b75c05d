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
from pathlib import Path
from typing import Any

import xapian

from search import fields as f
from search.backend import Stored
from search.xapian.files import copy_database, guarded
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
        # A new build knows every id it wrote: a record met for the first time is appended
        # (add_document) without asking Xapian for its id term, which a replace_document or a
        # term_exists looks up in every batch flushed so far; None for an update.
        self.written: set[str] | None = set() if before is None and source is None else None
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
        self._db = xapian.WritableDatabase(str(self.path), flags)
        return self._db

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
        if self.written is not None and record_id not in self.written:
            self.written.add(record_id)
            self.db.add_document(doc)
            return False
        key = id_term(record_id)
        existed = self.db.term_exists(key)
        self.db.replace_document(key, doc)
        return existed

    @guarded
    def delete(self, record_id: str) -> bool:
        key = id_term(record_id)
        if self.written is not None:
            if record_id not in self.written:
                return False
            self.written.discard(record_id)
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
