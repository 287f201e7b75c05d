"""What the live index holds, read back for an update: the record stored under an id, its
content hash, the records indexed with a MeSH descriptor, and MeSH look-ups answered from the
indexed descriptors (so an update without a MeSH file needs no MeSH file).

Everything is read through the update's Writer (search/backend.py: `stored`, `ids_with`), which
answers for the live build as it was before the update, whatever the backend. Every look-up is
a term look-up, so its cost is per changed record, not per index: nothing here walks all
documents except `mesh_ids`, which a full MeSH refresh needs.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

from indexer.documents import MeshLookup
from indexer.records import Article, MeshDescriptor, Trial
from search import fields as f
from search.backend import Stored, Writer
from search.meshnames import Named, best_ui

RECORD_TYPES = {f.TRIAL: Trial, f.ARTICLE: Article, f.MESH_TYPE: MeshDescriptor}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _revive(kind: Any, value: Any) -> Any:
    if typing.get_origin(kind) is tuple and value is not None:
        item = typing.get_args(kind)[0]
        return tuple(_revive(item, v) for v in value)
    if dataclasses.is_dataclass(kind) and isinstance(value, dict):
        hints = _hints(kind)
        return kind(
            **{fl.name: _revive(hints[fl.name], value[fl.name]) for fl in dataclasses.fields(kind)}
        )
    return value


def record_from_dict(data: dict[str, Any]) -> Trial | Article | MeshDescriptor:
    """The record dataclass back from its stored form (content.record_dict): the inverse,
    so that content_hash(record_from_dict(stored)) is the stored hash."""
    return _revive(RECORD_TYPES[data["type"]], data)


class Indexed:
    """Read access to the live build, by record id, through an update's writer."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer

    def stored(self, record_id: str) -> Stored | None:
        return self.writer.stored(record_id)

    def users_of(self, ui: str) -> list[str]:
        """Trials and articles indexed with the MeSH descriptor `ui` (a descriptor's own
        document carries only its own UI)."""
        return [key for key in self.writer.ids_with(f.MESH_UI, ui) if key != ui]

    def mesh_ids(self) -> set[str]:
        """The UI of every indexed MeSH descriptor."""
        return set(self.writer.ids_with(f.TYPE, f.MESH_TYPE))

    def descriptor(self, ui: str) -> MeshDescriptor | None:
        stored = self.stored(ui)
        if stored is None or stored.type != f.MESH_TYPE:
            return None
        return record_from_dict(stored.record)  # type: ignore[return-value]

    def descriptors_named(self, name: str) -> list[MeshDescriptor]:
        """Descriptors whose heading or an entry term has the key of `name` (in index order)."""
        key = f.term_key(name)
        if not key:
            return []
        found = (self.stored(ui) for ui in self.writer.ids_with(f.ENTRY_KEY, key))
        return [record_from_dict(s.record) for s in found if s is not None]  # type: ignore[misc]


class _Lazy:
    """A read-only mapping computed key by key (what documents.py asks of a MeshLookup)."""

    def __init__(self, compute: typing.Callable[[Any], Any]) -> None:
        self._compute = compute
        self._cache: dict[Any, Any] = {}

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self._cache:
            self._cache[key] = self._compute(key)
        value = self._cache[key]
        return default if value is None else value

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None


class IndexedMesh(MeshLookup):
    """A MeshLookup over the descriptors of the live index, with this update's descriptors
    (`fresh`) taking precedence and `removed` UIs gone: same answers as a MeshLookup built
    from the merged set, but each answer is one term query, made only when a record asks."""

    def __init__(
        self, indexed: Indexed, fresh: Iterable[MeshDescriptor] = (), removed: Iterable[str] = ()
    ) -> None:
        super().__init__()
        self.fresh = MeshLookup(fresh)
        self.indexed = indexed
        self.removed = set(removed)
        self._descriptors = _Lazy(self._descriptor)
        self.headings = _Lazy(self._heading)  # type: ignore[assignment]
        self.trees = _Lazy(self._trees)  # type: ignore[assignment]
        self._by_name_cache = _Lazy(self._by_name)

    def __len__(self) -> int:  # not meaningful for a lazy look-up
        raise TypeError("IndexedMesh has no length")

    def _descriptor(self, ui: str) -> MeshDescriptor | None:
        if ui in self.removed or ui in self.fresh.headings:
            return None
        return self.indexed.descriptor(ui)

    def _heading(self, ui: str) -> str | None:
        if ui in self.fresh.headings:
            return self.fresh.headings[ui]
        d = self._descriptors.get(ui)
        return d.heading if d else None

    def _trees(self, ui: str) -> tuple[str, ...] | None:
        if ui in self.fresh.trees:
            return self.fresh.trees[ui]
        d = self._descriptors.get(ui)
        return d.tree_numbers if d else None

    def _by_name(self, name: str) -> str | None:
        """The update's own descriptors first, then the index's (one rule: meshnames)."""
        found = self.fresh.ui_named(name) or best_ui(
            name,
            (
                Named(d.ui, d.heading, d.entry_terms)
                for d in self.indexed.descriptors_named(name)
                if d.ui not in self.removed and d.ui not in self.fresh.headings
            ),
        )
        return found or None

    def ui_named(self, name: str) -> str:
        return self._by_name_cache.get(name, "")

    def canonical(self, ui: str) -> str:
        if ui in self.headings or not ui[1:].isdigit():
            return ui
        number = int(ui[1:])
        if number in self.fresh.by_number:
            return self.fresh.by_number[number]
        for width in (6, 9):  # D007172 and D000007172 (CT.gov JSON pads UIs)
            candidate = f"{ui[0]}{number:0{width}d}"
            if candidate in self.headings:
                return candidate
        return ui
