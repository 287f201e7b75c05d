"""The seam between the engine-neutral face and the engines behind it.

A backend is a package `search/<name>/` whose `__init__` gives `Reader` (a class built from an
index folder, satisfying the `Reader` protocol below) and `exists_in(build) -> bool`. Nothing
outside a backend package imports its engine (tests/test_architecture.py checks).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from search.errors import InvalidRequest
from search.models import Overview, Related, SearchPage, SearchRequest
from search.store import DEFAULT_BACKEND, backend_name

BACKENDS = ("whoosh",)


class Reader(Protocol):
    """The read side of one index folder; every method is safe to call from any thread."""

    def search(self, req: SearchRequest) -> SearchPage:
        """Ranked, faceted, paged results; InvalidRequest for a request that can't be run."""
        ...

    def get(self, record_id: str) -> dict[str, Any]:
        """The stored record; DocumentNotFound if there is none."""
        ...

    def related(self, record_id: str, limit: int = 10, explicit: bool = True) -> Related:
        """Trials, articles and MeSH descriptors related to a record, each with its reason."""
        ...

    def mesh_overview(self, ui: str) -> Overview | None:
        """A MeSH descriptor's page (tree positions, what is indexed with it); None if none."""
        ...

    def status(self) -> dict[str, Any]:
        """Counts per type, the build's metadata and the backend's name."""
        ...

    def warm(self) -> None:
        """Open the index and fill caches now rather than on the first request."""
        ...


def backend(name: str) -> ModuleType:
    """The backend package called `name`."""
    if name not in BACKENDS:
        raise InvalidRequest(f"Unknown backend {name!r}: use one of {', '.join(BACKENDS)}.")
    return importlib.import_module(f"search.{name}")


def exists_in(build: Path) -> bool:
    """Whether `build` holds a complete index of the backend that wrote it."""
    name = backend_name(build)
    return name in BACKENDS and backend(name).exists_in(build)


def open_reader(name: str, index_dir: Path, **options: Any) -> Reader:
    """A reader of `index_dir` through the backend `name` (options are the backend's own)."""
    return backend(name).Reader(index_dir, **options)


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Reader", "backend", "exists_in", "open_reader"]
