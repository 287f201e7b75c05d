"""Whoosh segment housekeeping for the writers: the hard-link copy of a live build, the tiered
merge policy of updates, and counting live documents per type.

Whoosh never rewrites a segment file (deletions are recorded in the table of contents), so an
update's new folder can share the live build's segment files as hard links: only its new
segment and table of contents cost disk and time, and writing there never changes the live
build.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path
from typing import Any

from whoosh.reading import IndexReader, SegmentReader

from search import fields as f

# Whoosh's files: the table of contents `_MAIN_<generation>.toc` and segment files
# `MAIN_<id>.<ext>`; not its lock `MAIN_WRITELOCK`, temporary files or folders, meta.json.
_INDEX_FILE = re.compile(r"(_MAIN_\d+\.toc|MAIN_[0-9a-z]+\.[A-Za-z0-9_.]+)")
_NO_LINKS = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP)


def link_build(live: Path, build: Path) -> None:
    """Fill the new, empty `build` with hard links to the index files of `live` (copies where
    the file system has no hard links). Writing there never changes a file of `live`."""
    for entry in os.scandir(live):
        if not entry.is_file(follow_symlinks=False) or not _INDEX_FILE.fullmatch(entry.name):
            continue
        try:
            os.link(entry.path, build / entry.name)
        except OSError as e:
            if e.errno not in _NO_LINKS:
                raise
            shutil.copy2(entry.path, build / entry.name)


def tiered(seed: int):  # noqa: ANN201
    """A Whoosh merge policy: merge the smallest segments into the new one while each holds no
    more live documents than everything merged so far (starting from the `seed` documents this
    update wrote); merging drops their deleted documents. Like a binary counter: over many
    updates a document is rewritten O(log n) times, the segment count stays logarithmic, and a
    full build's big segment is left alone until the updates add up to its size."""

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        merged, chosen = seed, set()
        for seg in sorted(segments, key=lambda s: s.doc_count()):  # live documents
            if not merged or seg.doc_count() > merged:
                break
            chosen.add(id(seg))
            merged += seg.doc_count()
        if not chosen:
            return segments
        for seg in segments:
            if id(seg) in chosen:
                reader = SegmentReader(writer.storage, writer.schema, seg)
                writer.add_reader(reader)
                reader.close()
        return [s for s in segments if id(s) not in chosen]

    return policy


def count_types(reader: IndexReader) -> dict[str, int]:
    """Records per type, without deleted documents (which Whoosh's doc_frequency still counts
    until a merge drops them)."""
    return {
        kind: sum(1 for _ in reader.postings(f.TYPE, kind).all_ids())
        if reader.frequency(f.TYPE, kind)
        else 0
        for kind in f.TYPES
    }
