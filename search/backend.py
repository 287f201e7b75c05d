"""The seam between the engine-neutral face and the engines behind it.

A backend is a package `search/<name>/` whose `__init__` gives `Reader` (a class built from an
index folder, satisfying the `Reader` protocol below), `exists_in(build) -> bool`,
`create(build) -> Writer` (a new, empty build folder) and `update(live, build) -> Writer` (a
new build folder that starts as a copy of the live one; an update that writes nothing is
cancelled, so a backend should put off costly copying until the first add or delete). Nothing
outside a backend package imports its engine (tests/test_architecture.py checks).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from search.errors import InvalidRequest
from search.models import Overview, Related, SearchPage, SearchRequest
from search.semantic.fusion import Rerank
from search.store import DEFAULT_BACKEND, backend_name
from search.view import IndexView

BACKENDS = ("whoosh", "xapian")


class Reader(Protocol):
    """The read side of one index folder; every method is safe to call from any thread, and
    waits and works only until the caller's deadline (search/deadline.py), then raises
    SearchTimeout."""

    def check(self, req: SearchRequest) -> None:
        """InvalidRequest when `search(req)` would refuse the request, found without searching
        (HEAD on an export)."""
        ...

    def search(self, req: SearchRequest, rerank: Rerank | None = None) -> SearchPage:
        """Ranked, faceted, paged results; InvalidRequest for a request that can't be run.
        `rerank`: with a relevance sort, the first records of the listing (at least POOL and
        the page's end) are handed to it in BM25 order and listed in the order it returns,
        with its scores (search/semantic/fusion.py)."""
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

    def view(self) -> IndexView:
        """The index view of the live build (search/view.py) that related items, MeSH pages,
        did-you-mean and query expansion read; for other callers (benchmarks, tests), read
        it while holding the reader's `lock`, as a view is read by one thread at a time."""
        ...


@dataclass(frozen=True, slots=True)
class Stored:
    """A record as the index holds it (what an update compares and re-derives from)."""

    id: str
    type: str
    hash: str  # content hash of the record (indexer/content.py content_hash)
    record: dict[str, Any]  # the record's fields as stored


class Writer(Protocol):
    """Writes one new build folder: a full build (empty at first) or an update (a copy of the
    live build at first). Documents are search/fields.py name -> value dicts made by
    indexer/documents.py. Nothing is visible to readers until the folder is switched in
    (indexer/store.py switch_to), which is the same for every backend. One writer at a time
    (the indexer's lock). A write the file system refuses (disk full, permission denied)
    raises OSError with its strerror: the indexer reports it in one line ("cannot write the
    index: No space left on device") and removes the folder; the live build is untouched."""

    def add(self, record_id: str, document: dict[str, Any]) -> bool:
        """Add a record's document, replacing any earlier copy (in the build or written
        earlier by this writer); True if there was one (a full build counts its records by
        it, with no id set of its own)."""
        ...

    def delete(self, record_id: str) -> bool:
        """Remove a record; False if neither the build nor this writer holds it."""
        ...

    def stored(self, record_id: str) -> Stored | None:
        """The record as the build held it before this writer (None if absent)."""
        ...

    def ids_with(self, field: str, value: str) -> list[str]:
        """Ids of the records (before this writer) whose keyword `field` holds `value`
        (MeSH UIs, entry keys, types), in index order."""
        ...

    def commit(self) -> None:
        """Make the writes durable in the build folder (then the indexer switches it in)."""
        ...

    def counts(self) -> dict[str, int]:
        """After commit: records per type (search/fields.py TYPES) in the build, read from the
        index (an update's meta.json records them; tests check they are what readers count)."""
        ...

    def cancel(self) -> None:
        """Forget the writes; the folder is the caller's to remove."""
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


def databases(build: Path) -> list[Path]:
    """The database folders of a build (a sharded Xapian build: one per shard), as servers
    such as `xapian-tcpsrv` open them."""
    package = backend(backend_name(build))
    found = getattr(package, "databases", None)
    return list(found(build)) if found is not None else [Path(build)]


def open_reader(name: str, index_dir: Path, **options: Any) -> Reader:
    """A reader of `index_dir` through the backend `name` (options are the backend's own)."""
    return backend(name).Reader(index_dir, **options)


__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Reader",
    "Stored",
    "Writer",
    "backend",
    "databases",
    "exists_in",
    "open_reader",
]
