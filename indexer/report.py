"""What the operator sees: the progress bar, the build summary and `status`."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from indexer.build import BuildReport, Progress
from indexer.limits import quote
from indexer.store import folder_size
from search import SearchEngine
from search import fields as f
from search.errors import IndexNotBuilt
from search.store import backend_name, current_build, read_meta

MAX_LISTED = 50  # skipped items listed one per line; the rest are counted
MAX_LINE = 1000  # characters of one such line (the input they quote is cut shorter still)
SHOWN_HEADINGS = 5  # MeSH tree headings without a descriptor named in the summary


PLAIN_EVERY = 5.0  # seconds between progress lines when the output is not a terminal


class _Progress:
    """What a build has done so far, and the line that says it."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.started = clock()
        self.counts = {"total": 0, "file": 0, "records": 0, "bytes_total": 0, "bytes": 0}
        self.writing = False
        self.encode_total = 0  # texts the sentence model has to encode (search/semantic/)
        self.encoded = 0
        self.encode_started = 0.0

    def add(self, event: str, n: int) -> None:
        if event == "writing":
            self.writing = True
        elif event == "encode_total":
            self.encode_total, self.encoded, self.encode_started = n, 0, self.clock()
        elif event == "encoded":
            self.encoded += n
        elif event in ("total", "bytes_total"):
            self.counts[event] = n
        elif event in self.counts:
            self.counts[event] += n
        # other events ("read": a source found, a MeSH line parsed) only refresh the display

    def eta(self, now: float) -> str:
        """Time left, from the share of the input's bytes read so far ("" until known)."""
        done, total = self.counts["bytes"], self.counts["bytes_total"]
        elapsed = now - self.started
        if not total or not done or elapsed < 1.0:
            return ""
        return f", ETA {_duration(max(0.0, elapsed * (total - done) / done))}"

    def text(self, now: float) -> str:
        files, total, records = self.counts["file"], self.counts["total"], self.counts["records"]
        rate = records / max(now - self.started, 1e-6)
        return (
            f"{_duration(now - self.started)}: {files:,}/{total:,} files, {records:,} records, "
            f"{rate:,.0f} records/s"
            + (self.encoding(now) if self.encode_total else "")
            + (
                "; writing the index (merging segments)"
                if self.writing and not self.encode_total
                else ""
                if self.writing
                else self.eta(now)
            )
        )

    def encoding(self, now: float) -> str:
        """The sentence vectors' part of the line: texts encoded, their rate, the time left."""
        done, total, elapsed = self.encoded, self.encode_total, now - self.encode_started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = f", ETA {_duration((total - done) / rate)}" if done and rate else ""
        return f"; sentence vectors {done:,}/{total:,} texts, {rate:,.1f} texts/s{left}"

    def share(self) -> float:
        """The share of the work done: bytes when known, else files."""
        c = self.counts
        if self.encode_total:
            return min(self.encoded, self.encode_total) / self.encode_total
        if c["bytes_total"]:
            return min(c["bytes"], c["bytes_total"]) / c["bytes_total"]
        return min(c["file"], c["total"]) / c["total"] if c["total"] else 0.0


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


@contextlib.contextmanager
def progress_bar(
    stream: TextIO = sys.stderr,
    clock: Callable[[], float] = time.monotonic,
    every: float = PLAIN_EVERY,
) -> Iterator[Progress]:
    """The build's progress: files and records done, records/s and the time left. On a
    terminal, a bar redrawn in place (at most 5 times a second); otherwise (a log file, a
    pipe) one plain line every `every` seconds, so a long build shows it is alive."""
    state = _Progress(clock)
    tty = stream.isatty()
    width = 30
    shown = [state.started]

    def draw(force: bool = False) -> None:
        now = clock()
        if not force and now - shown[0] < (0.2 if tty else every):
            return
        shown[0] = now
        if tty:
            filled = int(width * state.share())
            bar = "#" * filled + "." * (width - filled)
            stream.write(f"\r[{bar}] {state.text(now)} ")
        else:
            stream.write(f"progress: {state.text(now)}\n")
        stream.flush()

    def update(event: str, n: int) -> None:
        state.add(event, n)
        draw(force=event in ("writing", "encode_total"))

    try:
        yield update
    finally:
        if tty:
            draw(force=True)
            stream.write("\n")
            stream.flush()


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n} B"


def print_report(report: BuildReport, out: TextIO = sys.stdout) -> None:
    """The end-of-build summary: records per type, skips with reasons, time and rate."""
    print_skips(report, out)
    if not report.total:
        return
    counts = ", ".join(f"{report.counts.get(t, 0):,} {t}" for t in f.TYPES)
    print(
        f"Indexed {report.total:,} records ({counts}) from {report.files:,} files "
        f"in {report.seconds:.1f} s ({report.rate:,.0f} records/s); "
        f"index {_size(report.size_bytes)} at {report.build_dir}",
        file=out,
    )
    print(
        f"Skipped {len(report.skipped_files)} files and {len(report.skipped_records)} records; "
        f"{report.replaced} records replaced by a later copy; {report.deleted} deleted",
        file=out,
    )
    notes = []
    if report.deletions_unmatched:
        notes.append(
            f"{report.deletions_unmatched:,} PubMed deletion notices name citations that are not "
            "in the input, so there was nothing to delete"
        )
    if report.unused_trees:
        shown = ", ".join(report.unused_trees[:SHOWN_HEADINGS])
        more = len(report.unused_trees) - SHOWN_HEADINGS
        n = len(report.unused_trees)
        heading, name = ("heading", "names") if n == 1 else ("headings", "name")
        notes.append(
            f"{n:,} MeSH tree {heading} ({shown}{f' and {more:,} more' if more > 0 else ''}) "
            f"{name} no descriptor of the input, so {'its' if n == 1 else 'their'} tree numbers "
            "are not used"
        )
    for note in notes:
        print(f"Note: {note}.", file=out)
    if report.vectors:
        v = report.vectors
        print(
            f"Vectors: {v['rows']:,} trials and articles ({v['encoded']:,} encoded in "
            f"{v['encode_seconds']:.1f} s, {v['records_per_second']:,.1f} records/s; "
            f"{v['reused']:,} reused)",
            file=out,
        )


def print_skips(report: Any, out: TextIO = sys.stdout) -> None:
    """The skipped files and records of a build or an update, with their reasons."""
    for name, reason in report.skipped_files[:MAX_LISTED]:
        print(quote(f"skipped file {name}: {reason}", MAX_LINE), file=out)
    for name, where, reason in report.skipped_records[:MAX_LISTED]:
        line = f"skipped record {name}{': ' + where if where else ''}: {reason}"
        print(quote(line, MAX_LINE), file=out)
    hidden = max(0, len(report.skipped_files) - MAX_LISTED)
    hidden += max(0, len(report.skipped_records) - MAX_LISTED)
    if hidden:
        print(f"... and {hidden} more skipped items", file=out)
    for name, count, ids in report.duplicates[:MAX_LISTED]:
        more = f" and {count - len(ids):,} more" if count > len(ids) else ""
        print(
            f"duplicate ids in {name}: {count:,} {'id appears' if count == 1 else 'ids appear'} "
            f"more than once ({', '.join(ids)}{more}); one copy of each is kept",
            file=out,
        )
    if len(report.duplicates) > MAX_LISTED:
        print(
            f"... and {len(report.duplicates) - MAX_LISTED} more files with duplicate ids", file=out
        )


def status(index_dir: Path) -> dict[str, Any]:
    """What the live index holds: counts per type (read from the index by its backend's
    reader), the backend, dates, size."""
    build = current_build(index_dir)
    if build is None:
        text = f"No index in {index_dir}: run `python -m indexer build --index {index_dir} PATH...`"
        return {"built": False, "index": str(index_dir), "counts": {}, "text": text}
    try:
        meta = read_meta(index_dir)
        counts = SearchEngine(index_dir).status()["counts"]
    except IndexNotBuilt as e:
        return {"built": False, "index": str(index_dir), "counts": {}, "text": str(e)}
    size = folder_size(build)
    name = backend_name(build)
    info = {
        "built": True,
        "index": str(index_dir),
        "build": build.name,
        "backend": name,
        "counts": counts,
        "total": sum(counts.values()),
        "snapshots": meta.get("snapshots", {}),
        "built_at": meta.get("built_at"),
        "updated_at": meta.get("updated_at"),
        "size_bytes": size,
        "shards": int(meta.get("shards") or 1),
    }
    split = f", {info['shards']} shards" if info["shards"] > 1 else ""
    lines = [f"Index {index_dir} (build {build.name}, {name}{split}, {_size(size)})"]
    lines += [f"  {t:8} {counts[t]:>9,}" for t in f.TYPES]
    for source, date in sorted(info["snapshots"].items()):
        lines.append(f"  {source} data as of {date}")
    built, updated = info["built_at"] or "unknown", info["updated_at"] or "never"
    lines.append(f"  built {built}; updated {updated}")
    if last := meta.get("last_update"):
        info["last_update"] = last
        lines.append(
            f"  last update: {last['added']:,} added, {last['replaced']:,} replaced, "
            f"{last['deleted']:,} deleted, {last['unchanged']:,} unchanged"
        )
    info["text"] = "\n".join(lines)
    return info
