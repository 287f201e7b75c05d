"""The markdown report of bench/perf.py, its target checks and the ratios the quick guard keeps."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import time
from importlib import metadata

BASELINE = "plain-whoosh"
TARGETS = {"search_p95_ms": 50.0, "related_p95_ms": 100.0, "build_ratio": 3.0, "update_pct": 5.0}


def stats(ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(ms)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)], ordered[-1]


def _rate(build: dict) -> float:
    return build["records"] / build["seconds"]


def ratios(res: dict) -> dict[str, float]:
    """Ours against the plain-Whoosh baseline measured in the same run (higher is better)."""
    b, s = res["builds"], res["search"]
    base = s[(BASELINE, "warm")]["first"]
    ours = s[("ours", "warm")]["first"][: len(base)]  # the same queries
    return {
        "build_records_per_s": round(_rate(b[("ours", "all")]) / _rate(b[(BASELINE, "all")]), 3),
        "search_median_warm": round(stats(base)[0] / stats(ours)[0], 3),
        "search_p95_warm": round(stats(base)[1] / stats(ours)[1], 3),
    }


def quick_table(now: dict[str, float], reference: dict[str, float], tolerance: float) -> str:
    lines = [
        "| ratio to plain Whoosh (higher is better) | now | reference | floor |",
        "|---|---|---|---|",
    ]
    for key, value in now.items():
        ref = reference.get(key)
        floor = f"{ref * (1 - tolerance):.2f}" if ref else "-"
        lines.append(f"| {key} | {value:.2f} | {ref if ref else '-'} | {floor} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (OSError, ValueError):
        mem = 0.0
    versions = []
    for pkg in ("whoosh3", "numpy", "flask", "waitress", "tantivy"):
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    return (
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        + ", ".join(versions)
        + f"; load average at the end {os.getloadavg()[0]:.1f}"
    )


def _header(*columns: str) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]


def _build_table(res: dict) -> list[str]:
    out = _header(
        "engine", "source", "records", "s", "records/s", "peak MB", "index MB",
        "ours' records/s ÷ this",
    )  # fmt: skip
    b = res["builds"]
    for (engine, source), r in b.items():
        ours = b.get(("ours", source))
        ratio = f"{_rate(ours) / _rate(r):.2f}" if ours else ""
        out.append(
            f"| {engine} | {source} | {r['records']:,} | {r['seconds']:.1f} | {_rate(r):.0f} "
            f"| {r['peak_mb']:.0f} | {r['size_mb']:.1f} | {ratio} |"
        )
    return out


def _search_table(res: dict) -> list[str]:
    out = _header(
        "engine", "pass", "queries", "median ms", "p95 ms", "max ms", "mean hits",
        "p95 of this ÷ p95 of ours (same queries)",
    )  # fmt: skip
    s = res["search"]
    ours = {
        "cold": s[("ours", "cold")]["first"],
        "warm": s[("ours", "warm")]["first"],
        "repeat": s[("ours", "cold")]["repeat"],
    }
    for (engine, mode), r in s.items():
        passes = [(mode, r["first"])] + ([("repeat", r["repeat"])] if "repeat" in r else [])
        for name, ms in passes:
            med, p95, mx = stats(ms)
            ratio = ""
            if engine not in ("ours", "related"):  # ours over the same prefix of the queries
                ratio = f"{p95 / stats(ours[name][: len(ms)])[1]:.1f}"
            label = "related items (ours)" if engine == "related" else engine
            out.append(
                f"| {label} | {name} | {len(ms)} | {med:.1f} | {p95:.1f} | {mx:.0f} "
                f"| {r['mean_total']:.0f} | {ratio} |"
            )
    return out


def targets(res: dict) -> list[str]:
    b, s = res["builds"], res["search"]
    p95 = stats(s[("ours", "warm")]["first"])[1]
    rel = stats(s[("related", "warm")]["first"])[1]
    build = _rate(b[("ours", "all")]) / _rate(b[(BASELINE, "all")])
    rows = [
        ("search with facets and snippets, p95 warm", f"{p95:.1f} ms", "<= 50 ms", p95 <= 50),
        ("related items, p95 warm", f"{rel:.1f} ms", "<= 100 ms", rel <= 100),
        ("build records/s vs plain Whoosh", f"{build:.2f}x", ">= 3x", build >= 3),
    ]
    if "update" in res:
        pct = 100 * res["update"]["seconds"] / b[("ours", "all")]["seconds"]
        rows.append(("1% update vs full build", f"{pct:.1f}%", "<= 5%", pct <= 5))
    peak = max(r["peak_mb"] for (e, _), r in b.items() if e == "ours")
    rows.append(("peak memory of our builds", f"{peak:.0f} MB", "bounded", True))
    out = ["| target | measured | wanted | met |", "|---|---|---|---|"]
    out += [f"| {a} | {m} | {w} | {'yes' if ok else 'NO'} |" for a, m, w, ok in rows]
    return out


def render(results: list[dict]) -> str:
    lines = ["# Performance report (bench/perf.py)", "", f"Machine: {machine()}", ""]
    for res in results:
        lines += [f"## Data: {res['dataset']}", "", "### Targets", "", *targets(res), ""]
        lines += ["### Build", "", *_build_table(res), ""]
        if "update" in res:
            u, full = res["update"], res["builds"][("ours", "all")]
            lines += [
                "### Update (held-out files applied to a build of the rest)", "",
                "| added | replaced | unchanged | deleted | s | full build s | % | peak MB |",
                "|---|---|---|---|---|---|---|---|",
                f"| {u['added']} | {u['replaced']} | {u['unchanged']} | {u['deleted']} "
                f"| {u['seconds']:.1f} | {full['seconds']:.1f} "
                f"| {100 * u['seconds'] / full['seconds']:.1f} | {u['peak_mb']:.0f} |", "",
            ]  # fmt: skip
        lines += [
            f"### Search ({len(res['queries'])} queries drawn, facets and snippets; a pass "
            "stops after 240 s, so a slow engine is timed on the first queries of the list)",
            "",
        ]
        lines += [*_search_table(res), ""]
        if "http" in res:
            lines += ["### HTTP (`python -m web`, 4 concurrent clients from another process)", ""]
            lines += ["| endpoint | requests | errors | req/s | median ms | p95 ms | max ms |"]
            lines += ["|---|---|---|---|---|---|---|"]
            for kind, h in res["http"].items():
                lines.append(
                    f"| {kind} | {h['requests']} | {h['errors']} | {h['rps']:.1f} "
                    f"| {h['median_ms']:.1f} | {h['p95_ms']:.1f} | {h['max_ms']:.0f} |"
                )
            lines.append("")
        lines += ["Example queries: " + "; ".join(f"`{q}`" for q in res["queries"][:12]), ""]
    return "\n".join(lines)
