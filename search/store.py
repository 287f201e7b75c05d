"""Read side of the index folder, engine-neutral: the live build and which backend wrote it.

`DIR/current` points at `DIR/builds/<stamp>/`; the build's meta.json names its backend
(absent: "whoosh", which wrote every index before the backend seam). Readers never write.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from search.errors import IndexNotBuilt

CURRENT = "current"
META_FILE = "meta.json"
DEFAULT_BACKEND = "whoosh"
SHARDS_FILE = "shards.txt"  # shard servers to search instead of the live build, one a line


def linked_build(index_dir: Path) -> Path | None:
    """The folder `DIR/current` points to (whatever it holds), or None."""
    link = Path(index_dir) / CURRENT
    try:
        target = link.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None
    return target if target.is_dir() else None


def current_build(index_dir: Path) -> Path | None:
    """The live build, or None when no complete index was ever switched in."""
    from search.backend import exists_in  # the backends import this module

    target = linked_build(index_dir)
    return target if target is not None and exists_in(target) else None


def build_meta(build: Path) -> dict[str, Any]:
    """A build's meta.json ({} when absent or unreadable)."""
    try:
        data = json.loads((build / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def backend_name(build: Path) -> str:
    """The backend that wrote `build`."""
    return str(build_meta(build).get("backend") or DEFAULT_BACKEND)


def read_meta(index_dir: Path) -> dict[str, Any]:
    """The live build's meta.json ({} when absent)."""
    build = current_build(index_dir)
    if build is None:
        raise IndexNotBuilt(f"No index in {index_dir}.")
    return build_meta(build)
