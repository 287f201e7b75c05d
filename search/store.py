"""Read side of the index folder: find the live build and open it (readers never write)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import FileIndex

from search.errors import IndexNotBuilt

CURRENT = "current"
META_FILE = "meta.json"


def current_build(index_dir: Path) -> Path | None:
    """The folder `DIR/current` points to, or None when no build was ever switched in."""
    link = Path(index_dir) / CURRENT
    try:
        target = link.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None
    return target if whoosh_index.exists_in(target) else None


def open_index(index_dir: Path) -> FileIndex:
    """The live Whoosh index, read-only use; IndexNotBuilt if there is none."""
    build = current_build(index_dir)
    if build is None:
        raise IndexNotBuilt(
            f"No index in {index_dir}: run `python -m indexer build --index {index_dir} PATH...`."
        )
    return whoosh_index.open_dir(str(build), readonly=True)


def read_meta(index_dir: Path) -> dict[str, Any]:
    """The live build's meta.json ({} when absent)."""
    build = current_build(index_dir)
    if build is None:
        raise IndexNotBuilt(f"No index in {index_dir}.")
    try:
        return json.loads((build / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
