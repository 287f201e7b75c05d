"""What the operator sees: the progress bar, the build summary and `status`."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def progress_bar(stream: TextIO = sys.stderr) -> Iterator[Progress]:
    """A one-line progress bar (files done, records, rate) on a terminal; silent otherwise."""
    if not stream.isatty():
        yield lambda event, n: None
        return
    width = 30
    state = {"total": 0, "files": 0, "records": 0, "shown": 0.0}
    started = time.monotonic()

    def draw(force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - state["shown"] < 0.2:
            return
        state["shown"] = now
        total, files = state["total"] or 1, state["files"]
        filled = int(width * min(files, total) / total)
        rate = state["records"] / max(now - started, 1e-6)
        stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {files:,}/{state['total']:,} files, "
            f"{state['records']:,} records, {rate:,.0f} records/s "
        )
        stream.flush()

    def update(event: str, n: int) -> None:
        if event == "total":
            state["total"] = n
        elif event == "file":
            state["files"] += n
        else:
            state["records"] += n
        draw()

    try:
        yield update
    finally:
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
        f"{report.replaced} records replaced by a later copy; {report.deleted} deleted "
        f"({report.deletions_unmatched} deletion notices for records not in the input)",
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
    }
    lines = [f"Index {index_dir} (build {build.name}, {name}, {_size(size)})"]
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
