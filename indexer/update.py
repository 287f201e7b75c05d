"""Incremental update: apply what some files change to the live index, then switch atomically.

The update is written into a new build folder that starts as a copy of the live build, through
the Writer of the backend that wrote the live build (search/backend.py; the Whoosh backend
links the live segment files instead of copying them): changed records are replaced, new ones
added, deletion notices applied. Records whose content hash equals the indexed one are left
alone, so re-applying a file writes nothing and no new build is kept. The new build becomes
live by the same symlink switch as a full build: readers never see a half-applied update, a
crash at any point leaves the last good build live, and the cost is the changed records (plus,
with Whoosh, a merge of the small segments earlier updates left).

Withdrawn records: a PubMed `DeleteCitation` removes the citation. A ClinicalTrials.gov study
whose status is WITHDRAWN (stopped before its first participant) is still a public record of
ClinicalTrials.gov: it is kept and replaced like any other study, as a full build keeps it.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer import store
from indexer.build import (
    BuildReport,
    FileIds,
    Progress,
    collect_sources,
    load_mesh,
    note_snapshot,
    vector_stats,
    with_vectors,
)
from indexer.change import Change
from indexer.content import record_id
from indexer.errors import BuildFailed, IndexerError, SourceError
from indexer.indexed import IndexedMesh
from indexer.limits import DEFAULT_LIMITS, Limits
from indexer.parse import parse_source
from indexer.records import Article, Deleted, MeshDescriptor, MeshTreeLine, Skipped, Trial
from indexer.sources import MESH_FORMATS
from search.backend import Writer
from search.backend import backend as backend_package
from search.semantic.vectors import FOLDER as VECTORS_FOLDER
from search.store import backend_name, current_build


@dataclass
class UpdateReport:
    """What an update did. Its file and skip fields are BuildReport's (shared helpers fill
    them); `counts` are the records per type in the index after the update."""

    added: Counter[str] = field(default_factory=Counter)
    replaced: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    older: int = 0  # copies of studies older than the indexed copy: the indexed one is kept
    deleted: int = 0
    deletions_unmatched: int = 0  # deletion notices for ids the index does not hold
    rederived: int = 0  # records re-indexed because a MeSH descriptor they use changed
    records: int = 0  # records and deletion notices read
    files: int = 0
    skipped_files: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    skipped_records: list[tuple[str, str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, int, tuple[str, ...]]] = field(default_factory=list)
    unused_trees: list[str] = field(default_factory=list)  # as BuildReport's
    snapshots: dict[str, str] = field(default_factory=dict)  # source -> newest data date
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    build_dir: str = ""  # the new build; "" when nothing changed and nothing was written
    size_bytes: int = 0

    skip_file = BuildReport.skip_file

    def summary(self) -> dict[str, Any]:
        """For meta.json (`last_update`) and `sync`'s state."""
        return {
            "added": sum(self.added.values()),
            "replaced": sum(self.replaced.values()),
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "older": self.older,
            "rederived": self.rederived,
            "files": self.files,
            "seconds": round(self.seconds, 2),
        }


def _mesh_view(d: MeshDescriptor | dict[str, Any]) -> tuple[Any, ...]:
    """What records take from a descriptor: its heading, names and tree numbers."""
    data = d if isinstance(d, dict) else {"heading": d.heading, "entry_terms": d.entry_terms}
    trees = d["tree_numbers"] if isinstance(d, dict) else d.tree_numbers
    names = sorted({t.lower() for t in data["entry_terms"]} | {data["heading"].lower()})
    return data["heading"], tuple(trees), tuple(names)


def _apply_mesh(
    change: Change, descriptors: list[MeshDescriptor], removed: set[str], lookup: IndexedMesh
) -> dict[str, set[str] | None]:
    """Write new and changed descriptors; what Change.rederive must look at (see there)."""
    affected: dict[str, set[str] | None] = {}
    for d in descriptors:
        stored = change.indexed.stored(d.ui)
        old = stored.record if stored is not None else None
        if not change.put(d, lookup):
            continue
        new_view = _mesh_view(d)
        old_view = _mesh_view(old) if old is not None else None
        if old_view is None or old_view[1] != new_view[1]:
            affected[d.ui] = None  # new, or other tree numbers: every record using it
        elif old_view != new_view:
            affected[d.ui] = set(old_view[2]) | set(new_view[2])
    for ui in sorted(removed):
        change.delete(ui)
        affected[ui] = None
    return affected


def update_index(
    paths: list[str],
    index_dir: Path,
    progress: Progress | None = None,
    *,
    complete_mesh: bool = False,
    meta: dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    vector_cache: Path | None = None,
) -> UpdateReport:
    """Apply the records under `paths` to the live index of `index_dir` (see module doc).

    `complete_mesh`: the MeSH files are a whole MeSH year: indexed descriptors absent from
    them are deleted. `meta`: extra keys for meta.json ("snapshots" merged with the others).
    `limits`: what reading one input may cost (a file past them is skipped with one line).
    When the live build has vectors (search/semantic/), the new build gets them too: the
    written records encoded (`vector_cache`: a folder of vectors encoded before), the deleted
    ones dropped.
    Raises IndexerError without an index, BuildFailed when no input could be read.
    """
    started = time.perf_counter()
    progress = progress or (lambda event, n: None)
    report = UpdateReport()
    live = current_build(index_dir)
    if live is None:
        raise IndexerError(
            f"no index in {index_dir} to update: run `python -m indexer build "
            f"--index {index_dir} PATH...` first"
        )
    sources = collect_sources(paths, report, progress, limits)  # type: ignore[arg-type]
    name = backend_name(live)
    build = store.new_build_dir(index_dir)
    writer: Writer | None = None
    try:
        writer = backend_package(name).update(live, build)
        if (live / VECTORS_FOLDER).is_dir():  # the live build has vectors: keep them up to date
            writer = with_vectors(writer, build, live, vector_cache, progress)
        change = Change(writer)
        mesh_sources = [s for s in sources if s.format in MESH_FORMATS]
        unreadable = len(report.skipped_files)
        descriptors, _ = load_mesh(mesh_sources, report, progress)  # type: ignore[arg-type]
        report.records += len(descriptors)
        if complete_mesh and (len(report.skipped_files) > unreadable or not descriptors):
            raise BuildFailed("the MeSH file could not be read whole: nothing applied", report)
        removed: set[str] = set()
        if complete_mesh and descriptors:
            removed = change.indexed.mesh_ids() - {d.ui for d in descriptors}
        lookup = IndexedMesh(change.indexed, descriptors, removed)
        affected = _apply_mesh(change, descriptors, removed, lookup)
        for source in sources:
            if source.format not in MESH_FORMATS:
                _apply_source(change, source, lookup, report, progress)
        change.rederive(affected, lookup)
        _tally(change, report)
        if not report.records and len(report.skipped_files) == report.files:
            raise BuildFailed("no input could be read; the live index is unchanged", report)
        if not change.written:
            writer.cancel()
            shutil.rmtree(build, ignore_errors=True)
            report.seconds = time.perf_counter() - started
            return report
        writer.commit()
        counts = writer.counts()
    except BaseException:
        if writer is not None:
            writer.cancel()
        shutil.rmtree(build, ignore_errors=True)
        raise
    meta = {**(meta or {}), "backend": name}
    if stats := vector_stats(writer):
        meta["vectors"] = stats
    return _finish(build, counts, index_dir, live, report, started, meta)


def _tally(change: Change, report: UpdateReport) -> None:
    done = change.tally()
    report.added, report.replaced = done["added"], done["replaced"]
    report.deleted = sum(done["deleted"].values())
    report.rederived = sum(done["rederived"].values())
    report.unchanged, report.older = change.unchanged, change.older
    report.deletions_unmatched = change.unmatched


def _apply_source(change, source, lookup, report, progress) -> None:  # noqa: ANN001
    ids = FileIds()
    try:
        for rec in parse_source(source):
            report.records += 1
            if isinstance(rec, (Trial, Article)):
                ids.add(record_id(rec))
            if isinstance(rec, Skipped):
                report.skipped_records.append((rec.path, rec.where, rec.reason))
            elif isinstance(rec, Deleted):
                change.delete(rec.id)
            elif not isinstance(rec, (MeshDescriptor, MeshTreeLine)):
                note_snapshot(report.snapshots, rec)
                change.put(rec, lookup)
            progress("records", 1)
    except SourceError as e:
        report.skip_file(e)
    ids.note(source.name, report.duplicates)
    progress("bytes", source.size)
    progress("file", 1)


def _finish(build, counts, index_dir, live, report, started, extra) -> UpdateReport:  # noqa: ANN001
    """Write meta.json into the new build and make it live."""
    try:
        meta = store.read_build_meta(live)
        snapshots = dict(meta.get("snapshots", {}))
        for key, date in {**report.snapshots, **extra.pop("snapshots", {})}.items():
            snapshots[key] = max(date, snapshots.get(key, ""))
        report.counts = Counter(counts)
        report.seconds = time.perf_counter() - started
        report.build_dir = str(build)
        report.size_bytes = store.folder_size(build)
        meta.update(extra)
        meta.update(
            counts=counts,
            snapshots=snapshots,
            updated_at=store.now_iso(),
            last_update=report.summary(),
        )
        store.write_meta(build, meta)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    store.switch_to(index_dir, build)
    return report


def describe(report: UpdateReport) -> str:
    """The update's summary line."""
    added, replaced = sum(report.added.values()), sum(report.replaced.values())
    kinds = ", ".join(f"{n:,} {t}" for t, n in sorted((report.added + report.replaced).items()))
    text = (
        f"{added:,} added, {replaced:,} replaced, {report.unchanged:,} unchanged, "
        f"{report.deleted:,} deleted"
    )
    if kinds:
        text += f" ({kinds})"
    extras = []
    if report.older:
        extras.append(f"{report.older:,} older copies of indexed studies ignored")
    if report.rederived:
        extras.append(f"{report.rederived:,} records re-indexed for changed MeSH descriptors")
    if report.deletions_unmatched:
        extras.append(f"{report.deletions_unmatched:,} deletion notices for records not indexed")
    if extras:
        text += "; " + "; ".join(extras)
    if not report.build_dir:
        return f"Nothing to change: {text}. The live index was not touched."
    files = f"{report.files:,} file{'s' if report.files != 1 else ''}"
    return f"Updated: {text}; from {files} in {report.seconds:.1f} s."
