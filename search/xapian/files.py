"""The Xapian backend's files: copying or linking a database folder, and the file system's refusals
(disk full, permission denied) raised as OSError naming the file or folder, as the Writer
protocol asks (search/backend.py): the indexer reports them in one line.

Xapian reports a failed system call as a xapian.DatabaseError whose message names a block, not
a file ("Error writing block 7 (File too large)"), with the system's reason apart
(get_error_string); the error raised here carries that reason, its errno and the database
folder.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import xapian

P = ParamSpec("P")
R = TypeVar("R")

# the errno of each of the system's reasons (os.strerror's sentences)
_ERRNOS = {os.strerror(n): n for n in sorted(errno.errorcode, reverse=True)}


def os_error(error: xapian.Error, path: Path) -> OSError | None:
    """The OSError behind a Xapian error (None if no system call failed)."""
    reason = error.get_error_string()
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    if not reason:
        return None
    return OSError(_ERRNOS.get(reason, 0), reason, str(path))


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """A writer's method whose Xapian errors from the file system are OSError naming the
    writer's database folder (`self.path`)."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except xapian.Error as e:
            refused = os_error(e, args[0].path)  # type: ignore[attr-defined]
            if refused is None:
                raise
            raise refused from e

    return call


def copy_database(source: Path, target: Path, link: bool = False) -> None:
    """Copy a database folder (flat: one file per table) to `target` (which must not exist);
    OSError names the file that could not be written. `link`: share a committed database with
    a new build instead, each file a hard link (a copy where the file system refuses one:
    another device, no hard links); safe because no writer ever opens a database of a build
    once it is committed (an update copies it first)."""
    target.mkdir(parents=True)
    for item in sorted(source.iterdir()):
        into = target / item.name
        try:
            if not (link and _linked(item, into)):
                shutil.copyfile(item, into)
        except OSError as e:
            raise OSError(e.errno, e.strerror, str(into)) from e


def _linked(item: Path, into: Path) -> bool:
    """Whether `into` could be made a hard link to `item` (False: the file system refuses)."""
    try:
        os.link(item, into)
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        return False
    return True


def part_path(path: Path, k: int) -> Path:
    """Where part k of the database at `path` is written (search/xapian/writer.py)."""
    return path.with_name(f"{path.name}.parts") / str(k)


def merge_parts(parts: list[Path], target: Path) -> None:
    """Xapian's compactor: the databases `parts` (disjoint docid ranges, ascending) as one
    database at `target`, every docid kept (DBCOMPACT_NO_RENUMBER): the same documents,
    terms, postings, positions, values, metadata and statistics as one database written
    whole, its B-trees packed full."""
    sources = xapian.Database()
    for part in parts:
        sources.add_database(xapian.Database(str(part)))
    try:
        sources.compact(str(target), xapian.DBCOMPACT_NO_RENUMBER)
    finally:
        sources.close()
