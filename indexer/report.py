"""What the operator sees: the progress bar, the build summary and `status`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from indexer.build import BuildReport, Progress
from search import schema as f
from search.errors import IndexNotBuilt
from search.store import current_build, open_index, read_meta

MAX_LISTED = 50  # skipped items listed one per line; the rest are counted


@contextlib.contextmanager
def progress_bar(stream: TextIO = sys.stderr) -> Iterator[Progress]:
    """A tqdm bar over input files (records in its postfix) on a terminal; silent otherwise."""
    if not stream.isatty():
        yield lambda event, n: None
        return
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=stream, dynamic_ncols=True)
    records = 0

    def update(event: str, n: int) -> None:
        nonlocal records
        if event == "total":
            bar.total = n
            bar.refresh()
        elif event == "file":
            bar.update(n)
            bar.set_postfix(records=records, refresh=False)
        else:
            records += n
            if records % 500 == 0:
                bar.set_postfix(records=records)

    try:
        yield update
    finally:
        bar.close()


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n} B"


def print_report(report: BuildReport, out: TextIO = sys.stdout) -> None:
    """The end-of-build summary: records per type, skips with reasons, time and rate."""
    for name, reason in report.skipped_files[:MAX_LISTED]:
        print(f"skipped file {name}: {reason}", file=out)
    for name, where, reason in report.skipped_records[:MAX_LISTED]:
        print(f"skipped record {name}{': ' + where if where else ''}: {reason}", file=out)
    hidden = max(0, len(report.skipped_files) - MAX_LISTED)
    hidden += max(0, len(report.skipped_records) - MAX_LISTED)
    if hidden:
        print(f"... and {hidden} more skipped items", file=out)
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


def status(index_dir: Path) -> dict[str, Any]:
    """What the live index holds: counts per type (read from the index), dates, size."""
    build = current_build(index_dir)
    if build is None:
        text = f"No index in {index_dir}: run `python -m indexer build --index {index_dir} PATH...`"
        return {"built": False, "index": str(index_dir), "counts": {}, "text": text}
    try:
        meta = read_meta(index_dir)
        ix = open_index(index_dir)
    except IndexNotBuilt as e:
        return {"built": False, "index": str(index_dir), "counts": {}, "text": str(e)}
    with ix.searcher() as searcher:
        counts = {t: searcher.doc_frequency(f.TYPE, t) for t in f.TYPES}
    ix.close()
    size = sum(p.stat().st_size for p in build.iterdir())
    info = {
        "built": True,
        "index": str(index_dir),
        "build": build.name,
        "counts": counts,
        "total": sum(counts.values()),
        "snapshots": meta.get("snapshots", {}),
        "built_at": meta.get("built_at"),
        "updated_at": meta.get("updated_at"),
        "size_bytes": size,
    }
    lines = [f"Index {index_dir} (build {build.name}, {_size(size)})"]
    lines += [f"  {t:8} {counts[t]:>9,}" for t in f.TYPES]
    for source, date in sorted(info["snapshots"].items()):
        lines.append(f"  {source} data as of {date}")
    built, updated = info["built_at"] or "unknown", info["updated_at"] or "never"
    lines.append(f"  built {built}; updated {updated}")
    info["text"] = "\n".join(lines)
    return info
