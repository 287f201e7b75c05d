"""Full rebuild: every source into a new index folder, then an atomic switch. The only writer.

It writes through the Writer of the chosen backend (search/backend.py): the backend is recorded
in the build's meta.json, and updates use the one the live build names.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from indexer import mesh as mesh_parser
from indexer import store
from indexer.content import record_content, record_id, record_type
from indexer.documents import MeshLookup, to_document
from indexer.errors import BuildFailed, IndexerError, SourceError
from indexer.limits import DEFAULT_LIMITS, Limits
from indexer.parse import parse_source
from indexer.records import (
    Article,
    Deleted,
    MeshDescriptor,
    MeshTreeLine,
    Record,
    Skipped,
    Trial,
)
from indexer.sources import MESH_FORMATS, Source, walk
from search.backend import BACKENDS, DEFAULT_BACKEND, Writer
from search.backend import backend as backend_package

# (event, amount): "total" files, a "file" done, "records" indexed, and the input's size in
# bytes: "bytes_total" (once), "bytes" (of each file done), from which the ETA is estimated;
# "read": something was read (a source found, a MeSH line parsed), so the display may refresh;
# "writing": every record is in, the index is being written
Progress = Callable[[str, int], None]
SHOWN_IDS = 10  # ids named per file in the summary's line about duplicates


@dataclass
class FileIds:
    """The ids met in one file, to say which ones it holds more than once."""

    seen: set[str] = field(default_factory=set)
    repeated: dict[str, None] = field(default_factory=dict)  # in order met

    def add(self, key: str) -> None:
        if key in self.seen:
            self.repeated[key] = None
        else:
            self.seen.add(key)

    def note(self, name: str, duplicates: list[tuple[str, int, tuple[str, ...]]]) -> None:
        """Add (file, how many ids repeat, the first SHOWN_IDS of them) when some do."""
        if self.repeated:
            shown = tuple(list(self.repeated)[:SHOWN_IDS])
            duplicates.append((name, len(self.repeated), shown))


@dataclass
class BuildReport:
    """What a build did, for the summary and for meta.json."""

    counts: Counter[str] = field(default_factory=Counter)  # records indexed, per type
    deleted: int = 0  # DeleteCitation notices applied to records of this build
    deletions_unmatched: int = 0  # deletion notices for records not in this build
    replaced: int = 0  # records met again in the input: the later copy wins (trials: the newer)
    files: int = 0
    skipped_files: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    skipped_records: list[tuple[str, str, str]] = field(default_factory=list)
    # (file, how many ids it holds more than once, the first few): one copy of each is kept
    duplicates: list[tuple[str, int, tuple[str, ...]]] = field(default_factory=list)
    # MeSH tree-file headings with no descriptor in the input: a note, not a skip (the line is
    # valid; the descriptor file lacks the heading, as data/sample's derived file lacks "Hope")
    unused_trees: list[str] = field(default_factory=list)
    snapshots: dict[str, str] = field(default_factory=dict)  # source format -> newest date
    seconds: float = 0.0
    build_dir: str = ""
    size_bytes: int = 0
    backend: str = DEFAULT_BACKEND
    shards: int = 1  # the index's shards (search/xapian/shards.py); 1: one database
    shard: int | None = None  # the one shard this build wrote (`--shard K/N`), if only one
    vectors: dict = field(default_factory=dict)  # search/semantic/writer.py VectorStats.meta

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def rate(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0

    def skip_file(self, error: SourceError) -> None:
        self.skipped_files.append(
            (error.path, f"{error.where + ': ' if error.where else ''}{error.reason}")
        )

    def meta(self) -> dict:
        return {
            "counts": {t: self.counts.get(t, 0) for t in ("trial", "article", "mesh")},
            "snapshots": self.snapshots,
            "built_at": store.now_iso(),
            "updated_at": None,
            "build_seconds": round(self.seconds, 2),
            "files": self.files,
            "skipped_files": len(self.skipped_files),
            "skipped_records": len(self.skipped_records),
            "files_with_duplicates": len(self.duplicates),
            "deleted": self.deleted,
            "backend": self.backend,
            **({"shards": self.shards} if self.shards > 1 else {}),
            **({"shard": self.shard} if self.shard is not None else {}),
            **({"vectors": self.vectors} if self.vectors else {}),
        }


def note_snapshot(snapshots: dict[str, str], record: Record) -> None:
    """Keep the newest data date per source: a study's download date, a citation's revision."""
    if isinstance(record, Trial):
        key, date = "ctgov", record.snapshot_date
    elif isinstance(record, Article):
        key, date = "pubmed", record.revised_date
    else:
        return
    if date and date > snapshots.get(key, ""):
        snapshots[key] = date


def collect_sources(
    paths: list[str], report: BuildReport, progress: Progress, limits: Limits = DEFAULT_LIMITS
) -> list[Source]:
    """The readable sources under `paths`; the unreadable ones go to the report."""
    sources: list[Source] = []
    for item in walk(paths, limits):
        if isinstance(item, SourceError):
            report.skip_file(item)
        else:
            sources.append(item)
        progress("read", 1)
    report.files = len(sources) + len(report.skipped_files)
    progress("total", report.files)
    progress("bytes_total", sum(s.size for s in sources))
    for _ in report.skipped_files:
        progress("file", 1)
    return sources


def load_mesh(
    sources: list[Source], report: BuildReport, progress: Progress
) -> tuple[list[MeshDescriptor], MeshLookup]:
    """Every MeSH source parsed and merged into one descriptor per UI (skips reported)."""
    parts: list[MeshDescriptor | MeshTreeLine] = []
    for source in sources:
        ids = FileIds()
        try:
            for rec in parse_source(source):
                progress("read", 1)
                if isinstance(rec, Skipped):
                    report.skipped_records.append((rec.path, rec.where, rec.reason))
                else:
                    parts.append(rec)
                    if isinstance(rec, MeshDescriptor):
                        ids.add(rec.ui)
        except SourceError as e:
            report.skip_file(e)
        ids.note(source.name, report.duplicates)
        progress("bytes", source.size)
        progress("file", 1)
    stats = mesh_parser.MeshJoinStats()
    descriptors, problems = mesh_parser.merge_mesh(parts, stats)
    unused = set(stats.without_descriptor)
    report.unused_trees.extend(stats.without_descriptor)
    report.skipped_records.extend(
        (p.path, p.where, p.reason) for p in problems if p.where not in unused
    )
    return descriptors, MeshLookup(descriptors)


def rebuild_index(
    paths: list[str],
    index_dir: Path,
    progress: Progress | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    backend: str = DEFAULT_BACKEND,
    shards: int = 1,
    shard: int | None = None,
    vectors: bool = False,
    vector_cache: Path | None = None,
) -> BuildReport:
    """Index every record under `paths` into a new build of `backend` and make it live. Each
    input is read within `limits` (a file past them is skipped with one line). `shards` > 1
    (Xapian): the records are split into that many shards by a hash of their id, written by
    one process each; `shard` K: only shard K of them is written (for another machine).
    `vectors`: also encode the trials and articles for the semantic first stage
    (search/semantic/), reusing the vectors kept in `vector_cache` (a folder) for texts
    encoded before.

    Raises BuildFailed (live index untouched) when no record could be indexed.
    """
    if backend not in BACKENDS:
        raise IndexerError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    check_shards(backend, shards, shard)
    started = time.perf_counter()
    progress = progress or (lambda event, n: None)
    report = BuildReport(backend=backend, shards=shards, shard=shard)
    sources = collect_sources(paths, report, progress, limits)
    mesh_sources = [s for s in sources if s.format in MESH_FORMATS]
    descriptors, lookup = load_mesh(mesh_sources, report, progress)

    build = store.new_build_dir(index_dir)
    writer: Writer | None = None
    versions: dict[str, tuple[str, str]] = {}  # trial id -> (last update, snapshot) indexed
    try:
        package = backend_package(backend)
        if shards > 1 or shard is not None:
            writer = package.create(build, shards=shards, only=shard)
        else:
            writer = package.create(build)
        if vectors:
            writer = with_vectors(writer, build, None, vector_cache, progress)
        for descriptor in descriptors:
            writer.add(descriptor.ui, to_document(descriptor, lookup))
            report.counts["mesh"] += 1
        progress("records", len(descriptors))
        for source in sources:
            if source.format in MESH_FORMATS:
                continue
            ids = FileIds()
            try:
                for rec in parse_source(source):
                    if isinstance(rec, (Trial, Article)):
                        ids.add(record_id(rec))
                    _add(rec, writer, lookup, versions, report)
                    progress("records", 1)
            except SourceError as e:
                report.skip_file(e)
            ids.note(source.name, report.duplicates)
            progress("bytes", source.size)
            progress("file", 1)
        if not report.total:
            raise BuildFailed(
                "nothing was indexed: every input failed; the live index is unchanged", report
            )
        _wait_written(writer)
        progress("writing", 1)  # the commit (segment merges) can take a while: say so
        writer.commit()
        if shard is not None:  # records routed to other shards were read, not written
            report.counts = Counter(writer.counts())
    except BaseException:
        if writer is not None:
            writer.cancel()
        shutil.rmtree(build, ignore_errors=True)
        raise
    report.vectors = vector_stats(writer)
    report.seconds = time.perf_counter() - started
    report.build_dir = str(build)
    report.size_bytes = store.folder_size(build)
    store.write_meta(build, report.meta())
    store.switch_to(index_dir, build)
    return report


def _wait_written(writer: Writer) -> None:
    """Wait until a writer that writes in processes of its own (search/xapian/pipeline.py) has
    added every record sent, so that its refusal (a full disk) comes before "writing"."""
    inner = getattr(writer, "inner", writer)  # search/semantic/writer.py's VectorWriter
    wait = getattr(inner, "wait_written", None)
    if wait is not None:
        wait()


def check_shards(backend: str, shards: int, shard: int | None) -> None:
    """IndexerError for a sharding the backend or the numbers do not allow."""
    if shards < 1 or (shard is not None and not 0 <= shard < shards):
        raise IndexerError(f"no shard {shard} of {shards}: use --shard K/N with K from 0 to N-1")
    if (shards > 1 or shard is not None) and backend != "xapian":
        raise IndexerError("only the xapian backend is sharded: add --backend xapian")


def with_vectors(
    writer: Writer,
    build: Path,
    live: Path | None,
    cache: Path | None,
    progress: Progress | None = None,
) -> Writer:
    """`writer` that also writes the build's vectors (IndexerError when the model can't be
    used: its sentence, and how to build without it); `progress` hears of the encoding."""
    from search.semantic.model import ModelUnavailable, build_encoder
    from search.semantic.vectors import TextCache
    from search.semantic.writer import VectorWriter

    loaded = []

    def encoder():  # noqa: ANN202 - loaded only when some text is new
        if not loaded:
            try:
                loaded.append(build_encoder())
            except ModelUnavailable as e:
                raise IndexerError(f"{e} Build with --no-vectors to rank by BM25 alone.") from e
        return loaded[0]

    text_cache = TextCache(cache) if cache is not None else None
    return VectorWriter(writer, build, live, encoder=encoder, cache=text_cache, progress=progress)


def vector_stats(writer: Writer | None) -> dict:
    """The vectors' line of meta.json ({} when the build has none)."""
    from search.semantic.writer import VectorWriter

    return writer.stats.meta() if isinstance(writer, VectorWriter) else {}


def trial_version(trial: Trial) -> tuple[str, str]:
    """What orders two copies of a study: its last update, then when it was downloaded."""
    return (trial.last_update_date, trial.snapshot_date)


def _add(rec, writer, lookup, versions, report) -> None:  # noqa: ANN001
    if isinstance(rec, Skipped):
        report.skipped_records.append((rec.path, rec.where, rec.reason))
        return
    if isinstance(rec, Deleted):
        if writer.delete(rec.id):
            report.deleted += 1
            report.counts["article"] -= 1
        else:
            report.deletions_unmatched += 1
        return
    if isinstance(rec, (MeshDescriptor, MeshTreeLine)):
        return  # MeSH sources were merged before the loop
    key = record_id(rec)
    kind = record_type(rec)
    if isinstance(rec, Trial):
        version = trial_version(rec)
        if key in versions and version < versions[key]:
            report.replaced += 1  # an older copy of a study met later: keep the newer one
            return
        versions[key] = version
    content = record_content(rec)
    unwritten = getattr(writer, "unwritten", None)  # search/xapian/pipeline.py ForkedWriter
    said = unwritten(key, content[1]) if unwritten is not None else None
    if said is None:  # the document is made only for a copy the writer writes
        said = writer.add(key, to_document(rec, lookup, content))
    if said:
        report.replaced += 1
    else:
        report.counts[kind] += 1
    note_snapshot(report.snapshots, rec)
