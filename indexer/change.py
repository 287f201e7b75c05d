"""The bookkeeping of one update: which ids it added, replaced, re-derived or deleted, and
what the live build held before, so that an unchanged record is not written again and an older
copy of a study does not replace a newer one. The writes go through the backend's Writer
(search/backend.py), which also answers for the live build.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from indexer.build import trial_version
from indexer.content import content_hash, record_id, record_type
from indexer.documents import to_document
from indexer.indexed import Indexed, IndexedMesh, record_from_dict
from indexer.records import Trial
from search import fields as f
from search.backend import Writer


@dataclass
class _Touch:
    """An id this update wrote or deleted."""

    kind: str
    existed: bool  # in the live index before the update
    present: bool  # in the new build as the update leaves it so far
    hash: str = ""
    version: tuple[str, str] = ("", "")
    rederived: bool = False


class Change:
    """The update's writes through `writer`, a Writer of a new build that starts as a copy of
    the live one."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.indexed = Indexed(writer)
        self.unchanged = 0  # records the index holds already
        self.older = 0  # copies of studies older than the indexed copy: the indexed one is kept
        self.unmatched = 0  # deletion notices for ids the index does not hold
        self.touched: dict[str, _Touch] = {}

    @property
    def written(self) -> bool:
        """Whether the update wrote or deleted anything."""
        return bool(self.touched)

    def _current(self, key: str) -> tuple[bool, str, tuple[str, str]]:
        """(present, hash, study version) of the id as the update left it so far."""
        touch = self.touched.get(key)
        if touch is not None:
            return touch.present, touch.hash, touch.version
        stored = self.indexed.stored(key)
        if stored is None:
            return False, "", ("", "")
        version = ("", "")
        if stored.type == f.TRIAL:
            version = (stored.record["last_update_date"], stored.record["snapshot_date"])
        return True, stored.hash, version

    def put(self, rec: Any, lookup: IndexedMesh) -> bool:
        """Add or replace one record unless the index already has it; True if written."""
        key, kind, digest = record_id(rec), record_type(rec), content_hash(rec)
        version = trial_version(rec) if isinstance(rec, Trial) else ("", "")
        present, old_hash, old_version = self._current(key)
        if present and old_hash == digest:
            self.unchanged += 1
            return False
        if present and isinstance(rec, Trial) and version < old_version:
            self.older += 1
            return False
        self._write(key, kind, to_document(rec, lookup), present, digest, version)
        return True

    def _write(self, key, kind, doc, existed, digest, version, rederived=False) -> None:  # noqa: ANN001
        touch = self.touched.get(key)
        if touch is None:
            touch = self.touched[key] = _Touch(kind, existed, False)
        self.writer.add(key, doc)
        touch.present, touch.hash, touch.version = True, digest, version
        touch.rederived = rederived

    def delete(self, key: str) -> None:
        touch = self.touched.get(key)
        if touch is not None:
            if not touch.present:
                self.unmatched += 1
            else:
                self.writer.delete(key)
                touch.present, touch.hash = False, ""
            return
        stored = self.indexed.stored(key)
        if stored is None:
            self.unmatched += 1
            return
        self.writer.delete(key)
        self.touched[key] = _Touch(stored.type, True, False)

    def rederive(self, affected: dict[str, set[str] | None], lookup: IndexedMesh) -> None:
        """Re-index, from their stored record, the records that use a changed MeSH descriptor
        (their UIs and tree numbers come from MeSH). `affected`: UI -> None when its tree
        numbers changed (every record using it), or the names it had or has when only they
        changed (the records naming it without a UI: legacy CT.gov XML, old PubMed exports)."""
        for ui, names in sorted(affected.items()):
            for key in self.indexed.users_of(ui):
                if key in self.touched:
                    continue
                stored = self.indexed.stored(key)
                if stored is None or stored.type == f.MESH_TYPE:
                    continue
                if names is not None and not named_without_ui(stored.record, names):
                    continue
                doc = to_document(record_from_dict(stored.record), lookup)
                self._write(key, stored.type, doc, True, stored.hash, ("", ""), True)

    def tally(self) -> dict[str, Counter[str]]:
        """What the update did per id: added, replaced, deleted, rederived (per record type)."""
        out: dict[str, Counter[str]] = {k: Counter() for k in ("added", "replaced", "deleted")}
        out["rederived"] = Counter()
        for touch in self.touched.values():
            if touch.rederived:
                out["rederived"][touch.kind] += 1
            elif touch.existed and not touch.present:
                out["deleted"][touch.kind] += 1
            elif touch.existed:
                out["replaced"][touch.kind] += 1
            elif touch.present:
                out["added"][touch.kind] += 1
        return out


def named_without_ui(data: dict[str, Any], names: set[str]) -> bool:
    """Whether a stored trial or article names one of `names` as a MeSH term without a UI."""
    if data["type"] == f.TRIAL:
        terms = [(m["ui"], m["term"]) for m in data["condition_mesh"] + data["intervention_mesh"]]
    else:
        terms = [(h["ui"], h["name"]) for h in data.get("mesh_headings", ())]
    return any(not ui and term.lower() in names for ui, term in terms)
