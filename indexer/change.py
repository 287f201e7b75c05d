"""The writes of one update: a new build folder of hard links to the live build, one Whoosh
writer, and the bookkeeping of which ids the update added, replaced or deleted.

The folder and the writer are made on the first write, so an update that changes nothing
touches nothing. Docnums of the live build's searcher are valid in the writer (the new build
starts as the same segments), so replacing a record deletes its old document by number.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader

from indexer import store
from indexer.build import WRITER_LIMIT_MB, trial_version
from indexer.documents import content_hash, record_id, record_type, to_document
from indexer.indexed import Indexed, IndexedMesh, record_from_dict
from indexer.records import Trial
from search import fields as f


@dataclass
class _Touch:
    """An id this update wrote or deleted."""

    kind: str
    existed: bool  # in the live index before the update
    docnum: int | None  # its document in this update's new segment; None: deleted
    hash: str = ""
    version: tuple[str, str] = ("", "")
    rederived: bool = False


class Change:
    """The update's writes into a new build of `index_dir` that starts as a copy of `live`."""

    def __init__(self, index_dir: Path, live: Path, indexed: Indexed) -> None:
        self.index_dir, self.live, self.indexed = index_dir, live, indexed
        self.unchanged = 0  # records the index holds already
        self.older = 0  # copies of studies older than the indexed copy: the indexed one is kept
        self.unmatched = 0  # deletion notices for ids the index does not hold
        self.build: Path | None = None
        self.ix: Any = None
        self.writer: Any = None
        self.touched: dict[str, _Touch] = {}
        self.stale: list[int] = []  # this segment's docs superseded within the update

    def _writer(self) -> Any:
        if self.writer is None:
            self.build = store.new_build_dir(self.index_dir)
            store.link_build(self.live, self.build)
            self.ix = whoosh_index.open_dir(str(self.build))
            self.writer = self.ix.writer(limitmb=WRITER_LIMIT_MB)
        return self.writer

    def _current(self, key: str) -> tuple[bool, str, tuple[str, str], int | None]:
        """(present, hash, study version, live docnum) of the id as the update left it so far."""
        touch = self.touched.get(key)
        if touch is not None:
            return touch.docnum is not None, touch.hash, touch.version, None
        docnum = self.indexed.docnum(key)
        if docnum is None:
            return False, "", ("", ""), None
        stored = self.indexed.stored(docnum)
        version = ("", "")
        if stored[f.TYPE] == f.TRIAL:
            data = f.unpack_record(stored[f.RECORD])
            version = (data["last_update_date"], data["snapshot_date"])
        return True, stored[f.HASH], version, docnum

    def put(self, rec: Any, lookup: IndexedMesh) -> bool:
        """Add or replace one record unless the index already has it; True if written."""
        key, kind, digest = record_id(rec), record_type(rec), content_hash(rec)
        version = trial_version(rec) if isinstance(rec, Trial) else ("", "")
        present, old_hash, old_version, docnum = self._current(key)
        if present and old_hash == digest:
            self.unchanged += 1
            return False
        if present and isinstance(rec, Trial) and version < old_version:
            self.older += 1
            return False
        self._write(key, kind, to_document(rec, lookup), docnum, digest, version)
        return True

    def _write(self, key, kind, doc, docnum, digest, version, rederived=False) -> None:  # noqa: ANN001
        writer = self._writer()
        touch = self.touched.get(key)
        if touch is None:
            touch = self.touched[key] = _Touch(kind, docnum is not None, None)
            if docnum is not None:
                writer.delete_document(docnum)
        elif touch.docnum is not None:
            self.stale.append(touch.docnum)
        touch.docnum, touch.hash, touch.version = writer.docnum, digest, version
        touch.rederived = rederived
        writer.add_document(**doc)

    def delete(self, key: str) -> None:
        touch = self.touched.get(key)
        if touch is not None:
            if touch.docnum is None:
                self.unmatched += 1
            else:
                self.stale.append(touch.docnum)
                touch.docnum, touch.hash = None, ""
            return
        docnum = self.indexed.docnum(key)
        if docnum is None:
            self.unmatched += 1
            return
        kind = self.indexed.stored(docnum)[f.TYPE]
        self._writer().delete_document(docnum)
        self.touched[key] = _Touch(kind, True, None)

    def rederive(self, affected: dict[str, set[str] | None], lookup: IndexedMesh) -> None:
        """Re-index, from their stored record, the records that use a changed MeSH descriptor
        (their UIs and tree numbers come from MeSH). `affected`: UI -> None when its tree
        numbers changed (every record using it), or the names it had or has when only they
        changed (the records naming it without a UI: legacy CT.gov XML, old PubMed exports)."""
        for ui, names in sorted(affected.items()):
            for docnum in self.indexed.users_of(ui):
                stored = self.indexed.stored(docnum)
                key = stored[f.ID]
                if key in self.touched:
                    continue
                data = f.unpack_record(stored[f.RECORD])
                if names is not None and not named_without_ui(data, names):
                    continue
                doc = to_document(record_from_dict(data), lookup)
                self._write(key, stored[f.TYPE], doc, docnum, stored[f.HASH], ("", ""), True)

    def commit(self) -> None:
        """Commit the new segment, then drop the copies superseded within the update."""
        writer, seed = self.writer, self.writer.doc_count()
        if not self.stale:
            writer.commit(mergetype=tiered(seed))
            return
        base = sum(s.doc_count_all() for s in writer.segments)
        writer.commit(merge=False)  # the new segment is appended: its docnums are base + n
        second = self.ix.writer()
        for docnum in self.stale:
            second.delete_document(base + docnum)
        second.commit(mergetype=tiered(seed))

    def tally(self) -> dict[str, Counter[str]]:
        """What the update did per id: added, replaced, deleted, rederived (per record type)."""
        out: dict[str, Counter[str]] = {k: Counter() for k in ("added", "replaced", "deleted")}
        out["rederived"] = Counter()
        for touch in self.touched.values():
            if touch.rederived:
                out["rederived"][touch.kind] += 1
            elif touch.existed and touch.docnum is None:
                out["deleted"][touch.kind] += 1
            elif touch.existed:
                out["replaced"][touch.kind] += 1
            elif touch.docnum is not None:
                out["added"][touch.kind] += 1
        return out

    def abort(self) -> None:
        """Forget the new build (the live one was never touched)."""
        try:
            if self.writer is not None and not self.writer.is_closed:
                self.writer.cancel()
        except Exception:  # noqa: S110 - a failed writer (disk full...) may fail to cancel too
            pass
        finally:
            if self.build is not None:
                shutil.rmtree(self.build, ignore_errors=True)


def tiered(seed: int):  # noqa: ANN202
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


def named_without_ui(data: dict[str, Any], names: set[str]) -> bool:
    """Whether a stored trial or article names one of `names` as a MeSH term without a UI."""
    if data["type"] == f.TRIAL:
        terms = [(m["ui"], m["term"]) for m in data["condition_mesh"] + data["intervention_mesh"]]
    else:
        terms = [(h["ui"], h["name"]) for h in data.get("mesh_headings", ())]
    return any(not ui and term.lower() in names for ui, term in terms)
