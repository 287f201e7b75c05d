"""The Whoosh backend's writers (search/backend.py Writer): `create` for a full build into an
empty folder, `update` for an update into a folder that starts as hard links to the live
build's segments (search/whoosh/segments.py).

Whoosh deletes and replaces by document number. A full build remembers the number of each id's
latest document; an update looks ids up in a searcher of the live build, whose numbers are
valid in the new folder's writer (it starts as the same segments). Copies superseded within
one writer are in its new segment, whose numbers are only final after its commit: they are
deleted by a second commit.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import FileIndex
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from search import fields as f
from search.backend import Stored
from search.whoosh.schema import build_schema
from search.whoosh.segments import count_types, link_build, tiered

# Whoosh's posting pool: up to this much (by its own estimate, ~150 bytes a posting) is sorted in
# memory; beyond it, runs are pickled to disk and merged, which costs a third of the build. The
# bound on a build's memory: 7,887 sample records took 387 MB peak at 256 and 507 MB at 1024,
# and ran 1.35x faster (bench/README.md).
WRITER_LIMIT_MB = 1024


def _counts(build: Path) -> dict[str, int]:
    ix = whoosh_index.open_dir(str(build), readonly=True)
    try:
        with ix.reader() as reader:
            return count_types(reader)
    finally:
        ix.close()


def _cancel(writer: SegmentWriter | None) -> None:
    # a failed writer (disk full...) may fail to cancel too; the folder is removed anyway
    with contextlib.suppress(Exception):
        if writer is not None and not writer.is_closed:
            writer.cancel()


class BuildWriter:
    """A full build: documents into a new, empty folder."""

    def __init__(self, build: Path) -> None:
        self.build = build
        self.ix: FileIndex = whoosh_index.create_in(str(build), build_schema())
        self.writer: SegmentWriter = self.ix.writer(limitmb=WRITER_LIMIT_MB)
        self.docnums: dict[str, int] = {}  # id -> number of its latest document
        self.stale: list[int] = []  # earlier copies and deleted records

    def add(self, record_id: str, document: dict[str, Any]) -> bool:
        old = self.docnums.get(record_id)
        if old is not None:
            self.stale.append(old)
        self.docnums[record_id] = self.writer.docnum
        self.writer.add_document(**document)
        return old is not None

    def delete(self, record_id: str) -> bool:
        old = self.docnums.pop(record_id, None)
        if old is not None:
            self.stale.append(old)
        return old is not None

    def stored(self, record_id: str) -> Stored | None:
        return None  # the build was empty

    def ids_with(self, field: str, value: str) -> list[str]:
        return []

    def commit(self) -> None:
        self.writer.commit()
        if self.stale:
            self.writer = self.ix.writer()
            for docnum in self.stale:
                self.writer.delete_document(docnum)
            self.writer.commit(optimize=False)
        self.ix.close()

    def counts(self) -> dict[str, int]:
        return _counts(self.build)

    def cancel(self) -> None:
        _cancel(self.writer)
        self.ix.close()


class UpdateWriter:
    """An update: the new folder is linked to the live build and its writer opened on the first
    write, so an update that writes nothing costs nothing but the live build's searcher."""

    def __init__(self, live: Path, build: Path) -> None:
        self.live, self.build = live, build
        self.live_ix: FileIndex = whoosh_index.open_dir(str(live), readonly=True)
        self.searcher: Searcher = self.live_ix.searcher()
        self.ix: FileIndex | None = None
        self.writer: SegmentWriter | None = None
        self.written: dict[str, int | None] = {}  # id -> its document in the new segment
        self.stale: list[int] = []  # new-segment documents superseded within the update
        self._last: tuple[str, int | None] = ("", None)  # stored() then add() look up one id
        self.closed = False

    def _writer(self) -> SegmentWriter:
        if self.writer is None:
            link_build(self.live, self.build)
            self.ix = whoosh_index.open_dir(str(self.build))
            self.writer = self.ix.writer(limitmb=WRITER_LIMIT_MB)
        return self.writer

    def _live(self, record_id: str) -> int | None:
        if self._last[0] != record_id:
            self._last = (record_id, self.searcher.document_number(**{f.ID: record_id}))
        return self._last[1]

    def _forget(self, record_id: str) -> int | None:
        """Drop the record's current copy: one this writer added goes to `stale`, the live
        one is deleted. Its document number, or None when there was none."""
        if record_id in self.written:  # the live copy, if any, is deleted already
            old = self.written[record_id]
            if old is not None:
                self.stale.append(old)
        else:
            old = self._live(record_id)
            if old is not None:
                self._writer().delete_document(old)
        return old

    def add(self, record_id: str, document: dict[str, Any]) -> bool:
        writer = self._writer()
        old = self._forget(record_id)
        self.written[record_id] = writer.docnum
        # a field newer than the live build's schema (f.UPDATED) waits for the next full build
        writer.add_document(**{k: v for k, v in document.items() if k in writer.schema})
        return old is not None

    def delete(self, record_id: str) -> bool:
        old = self._forget(record_id)
        self.written[record_id] = None
        return old is not None

    def stored(self, record_id: str) -> Stored | None:
        docnum = self._live(record_id)
        if docnum is None:
            return None
        fields = self.searcher.stored_fields(docnum)
        return Stored(
            fields[f.ID], fields[f.TYPE], fields[f.HASH], f.unpack_record(fields[f.RECORD])
        )

    def ids_with(self, field: str, value: str) -> list[str]:
        docnums = sorted(self.searcher.document_numbers(**{field: value}))
        return [self.searcher.stored_fields(d)[f.ID] for d in docnums]

    def commit(self) -> None:
        """Commit the new segment, then drop the copies superseded within the update; merge
        small segments by the tiered policy."""
        writer = self._writer()
        seed = writer.doc_count()
        if not self.stale:
            writer.commit(mergetype=tiered(seed))
        else:
            base = sum(s.doc_count_all() for s in writer.segments)
            writer.commit(merge=False)  # the new segment is appended: its numbers are base + n
            self.writer = second = self.ix.writer()  # type: ignore[union-attr]
            for docnum in self.stale:
                second.delete_document(base + docnum)
            second.commit(mergetype=tiered(seed))
        self._close()

    def counts(self) -> dict[str, int]:
        return _counts(self.build)

    def cancel(self) -> None:
        _cancel(self.writer)
        self._close()

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            self.searcher.close()
            self.live_ix.close()
            if self.ix is not None:
                self.ix.close()


def create(build: Path) -> BuildWriter:
    """A writer of a full build into the new, empty folder `build`."""
    return BuildWriter(build)


def update(live: Path, build: Path) -> UpdateWriter:
    """A writer of an update: `build` (new, empty) starts as a copy of the build `live`."""
    return UpdateWriter(live, build)
