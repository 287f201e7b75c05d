"""Opening a Whoosh build of the index folder (the folder's layout: search/store.py)."""

from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import FileIndex

from search.errors import IndexNotBuilt
from search.store import current_build


def exists_in(build: Path) -> bool:
    """Whether `build` holds a committed Whoosh index."""
    return whoosh_index.exists_in(str(build))


def open_build(build: Path) -> FileIndex:
    """One build's Whoosh index."""
    return whoosh_index.open_dir(str(build), readonly=True)


def open_index(index_dir: Path) -> FileIndex:
    """The live Whoosh index, read-only use; IndexNotBuilt if there is none."""
    build = current_build(index_dir)
    if build is None:
        raise IndexNotBuilt(
            f"No index in {index_dir}: run `python -m indexer build --index {index_dir} PATH...`."
        )
    return open_build(build)
