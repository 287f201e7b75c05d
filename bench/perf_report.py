"""The markdown report of bench/perf.py, its target checks and the ratios the quick guard keeps."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import time
from importlib import metadata

BASELINE = "plain-whoosh"
XAPIAN, TANTIVY = "ours-xapian", "tantivy"
RELATED = {"related": "ours", "related-xapian": XAPIAN}
# issue #12's targets for the Xapian backend
XAPIAN_TARGETS = {"build_rate": 600.0, "build_ratio": 3.0, "search_p95_ms": 15.0,
                  "related_p95_ms": 40.0}  # fmt: skip
TARGETS = {"search_p95_ms": 50.0, "related_p95_ms": 100.0, "build_ratio": 3.0, "update_pct": 5.0}


def stats(ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(ms)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)], ordered[-1]


def _rate(build: dict) -> float:
    return build["records"] / build["seconds"]


def best(passes: list[list[float]], n: int) -> tuple[float, float]:
    """The lowest median and the lowest p95 among passes over the same queries (the first n of
    each): the figures least disturbed by other work on the machine."""
    figures = [stats(ms[:n]) for ms in passes]
    return min(m for m, _, _ in figures), min(p for _, p, _ in figures)


def ratios(res: dict) -> dict[str, float]:
    """Ours against the plain-Whoosh baseline measured in the same run (higher is better);
    search: the best of the warm passes of each ("rounds" when there are several)."""
    b, s = res["builds"], res["search"]
    base, ours = (
        s[(e, "warm")].get("rounds", [s[(e, "warm")]["first"]]) for e in (BASELINE, "ours")
    )
    n = min(len(ms) for ms in [*base, *ours])  # the same queries (a pass may stop early)
    (base_med, base_p95), (ours_med, ours_p95) = best(base, n), best(ours, n)
    return {
        "build_records_per_s": round(_rate(b[("ours", "all")]) / _rate(b[(BASELINE, "all")]), 3),
        "search_median_warm": round(base_med / ours_med, 3),
        "search_p95_warm": round(base_p95 / ours_p95, 3),
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
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
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
        "engine", "source", "records", "s", "records/s", "CPU s", "records/CPU-s", "peak MB",
        "index MB", "ours' records/s ÷ this",
    )  # fmt: skip
    b = res["builds"]
    for (engine, source), r in b.items():
        ours = b.get(("ours", source))
        ratio = f"{_rate(ours) / _rate(r):.2f}" if ours else ""
        out.append(
            f"| {engine} | {source} | {r['records']:,} | {r['seconds']:.1f} | {_rate(r):.0f} "
            f"| {_cpu(r)} | {r['peak_mb']:.0f} | {r['size_mb']:.1f} | {ratio} |"
        )
    return out


def _cpu(build: dict) -> str:
    """CPU seconds and records per CPU second (empty for figures saved before they were)."""
    if "cpu_s" not in build:
        return " | "
    return f"{build['cpu_s']:.1f} | {build['records'] / build['cpu_s']:.0f}"


def _search_table(res: dict) -> list[str]:
    out = _header(
        "engine", "pass", "queries", "median ms", "p95 ms", "max ms", "mean hits",
        "p95 of this ÷ p95 of ours (same queries)",
    )  # fmt: skip
    s = res["search"]
    ours = {}  # (empty in a run without the Whoosh engine: no ratio column then)
    if ("ours", "cold") in s and ("ours", "warm") in s:
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
            if ours and engine not in ("ours", *RELATED):  # ours over the same prefix
                ratio = f"{p95 / stats(ours[name][: len(ms)])[1]:.1f}"
            label = f"related items ({RELATED[engine]})" if engine in RELATED else engine
            out.append(
                f"| {label} | {name} | {len(ms)} | {med:.1f} | {p95:.1f} | {mx:.0f} "
                f"| {r['mean_total']:.0f} | {ratio} |"
            )
    return out


def targets(res: dict) -> list[str]:
    """The Whoosh backend's (ours) targets; none in a run without it (--engines)."""
    b, s = res["builds"], res["search"]
    if ("ours", "all") not in b or ("ours", "warm") not in s:
        return []
    p95 = stats(s[("ours", "warm")]["first"])[1]
    rows = [("search with facets and snippets, p95 warm", f"{p95:.1f} ms", "<= 50 ms", p95 <= 50)]
    if ("related", "warm") in s:
        rel = stats(s[("related", "warm")]["first"])[1]
        rows.append(("related items, p95 warm", f"{rel:.1f} ms", "<= 100 ms", rel <= 100))
    if (BASELINE, "all") in b:  # a run without the baseline (--engines) has no ratio to it
        build = _rate(b[("ours", "all")]) / _rate(b[(BASELINE, "all")])
        rows.append(("build records/s vs plain Whoosh", f"{build:.2f}x", ">= 3x", build >= 3))
    if "update" in res:
        pct = 100 * res["update"]["seconds"] / b[("ours", "all")]["seconds"]
        rows.append(("1% update vs full build", f"{pct:.1f}%", "<= 5%", pct <= 5))
    peak = max(r["peak_mb"] for (e, _), r in b.items() if e == "ours")
    rows.append(("peak memory of our builds", f"{peak:.0f} MB", "bounded", True))
    out = ["| target | measured | wanted | met |", "|---|---|---|---|"]
    out += [f"| {a} | {m} | {w} | {'yes' if ok else 'NO'} |" for a, m, w, ok in rows]
    return out


def xapian_targets(res: dict) -> list[str]:
    """Issue #12's targets for the Xapian backend, each measured two ways: wall clock and CPU
    (process time of the child process: on a shared machine the fair figure), beside the
    Whoosh backend (ours) and tantivy measured in the same run."""
    b, s = res["builds"], res["search"]
    if (XAPIAN, "all") not in b:
        return []
    x, w = b[(XAPIAN, "all")], b.get(("ours", "all"), {})
    rows = []
    for label, key in (("wall", "seconds"), ("CPU", "cpu_s")):
        if key not in x:
            continue
        rate = x["records"] / x[key]
        rows.append((f"build records/s ({label})", f"{rate:.0f}", ">= 600", rate >= 600))
        if key in w:  # a run without the Whoosh backend (--engines) has no ratio to it
            whoosh = w["records"] / w[key]
            rows.append((f"build vs the Whoosh backend ({label})", f"{rate / whoosh:.2f}x",
                         ">= 3x", rate / whoosh >= 3))  # fmt: skip
        t = b.get((TANTIVY, "all"))
        if t and key in t:
            ratio = rate / (t["records"] / t[key])
            rows.append((f"build vs tantivy ({label})", f"{ratio:.2f}x", "reported", None))
    for label, key in (("wall", "first"), ("CPU", "cpu")):
        xs = s.get((XAPIAN, "warm"), {}).get(key)
        if not xs:
            continue
        med, p95, _ = stats(xs)
        rows.append((f"search p50 / p95 warm, facets + snippets ({label})",
                     f"{med:.1f} / {p95:.1f} ms", "p95 <= 15 ms", p95 <= 15))  # fmt: skip
        whoosh = s.get(("ours", "warm"), {}).get(key)
        if whoosh:
            ratio = stats(whoosh[: len(xs)])[1] / stats(xs[: len(whoosh)])[1]
            rows.append((f"search p95: Whoosh backend ÷ Xapian ({label})", f"{ratio:.1f}x",
                         "reported", None))  # fmt: skip
        tantivy = s.get((TANTIVY, "warm"), {}).get(key)
        if tantivy:
            ratio = stats(xs[: len(tantivy)])[1] / stats(tantivy[: len(xs)])[1]
            rows.append((f"search p95: Xapian ÷ tantivy ({label})", f"{ratio:.2f}x",
                         "reported", None))  # fmt: skip
        rel = s.get(("related-xapian", "warm"), {}).get(key)
        if rel:
            p95 = stats(rel)[1]
            rows.append((f"related items p95 warm ({label})", f"{p95:.1f} ms", "<= 40 ms",
                         p95 <= 40))  # fmt: skip
    for label, key in (("wall", "seconds"), ("CPU", "cpu_s")):
        if key in res.get("update_xapian", {}) and key in x:
            pct = 100 * res["update_xapian"][key] / x[key]
            rows.append((f"1% update vs full build ({label})", f"{pct:.1f}%", "<= 5%", pct <= 5))
    out = ["| target (Xapian backend) | measured | wanted | met |", "|---|---|---|---|"]
    for a, m, want, ok in rows:
        met = "" if ok is None else ("yes" if ok else "NO")
        out.append(f"| {a} | {m} | {want} | {met} |")
    return out


def _update_table(res: dict) -> list[str]:
    """The held-out files applied to each of our builds of the rest (ours, ours-xapian)."""
    found = [(e, res[k]) for e, k in (("ours", "update"), (XAPIAN, "update_xapian")) if k in res]
    if not found:
        return []
    out = ["### Update (held-out files applied to a build of the rest)", ""]
    out += _header("engine", "added", "replaced", "unchanged", "deleted", "s", "full build s",
                   "%", "peak MB")  # fmt: skip
    for engine, u in found:
        full = res["builds"][(engine, "all")]["seconds"]
        out.append(
            f"| {engine} | {u['added']} | {u['replaced']} | {u['unchanged']} | {u['deleted']} "
            f"| {u['seconds']:.1f} | {full:.1f} | {100 * u['seconds'] / full:.1f} "
            f"| {u['peak_mb']:.0f} |"
        )
    return [*out, ""]


START, END = "<!-- bench/perf.py report: start -->", "<!-- bench/perf.py report: end -->"


def placed(report: str, existing: str) -> str:
    """`existing` (bench/REPORT.md) with its bench/perf.py block replaced by `report`, or with
    `report` put first when it has none: every other section of the file is kept as it is."""
    block = f"{START}\n{report.rstrip()}\n{END}\n"
    head, start, rest = existing.partition(START)
    if start:
        _, end, tail = rest.partition(END)
        if end:
            return head + block + tail.removeprefix("\n")
    return block + "\n" + existing if existing else block


def render(results: list[dict]) -> str:
    lines = ["# Performance report (bench/perf.py)", "", f"Machine: {machine()}", ""]
    for res in results:
        lines += [f"## Data: {res['dataset']}", ""]
        if targets(res):
            lines += ["### Targets", "", *targets(res), ""]
        if xapian_targets(res):
            lines += ["### The Xapian backend (issue #12)", "", *xapian_targets(res), ""]
        lines += ["### Build", "", *_build_table(res), ""]
        lines += _update_table(res)
        lines += [
            f"### Search ({len(res['queries'])} queries drawn, facets and snippets; a pass "
            "stops after 240 s, so a slow engine is timed on the first queries of the list)",
            "",
        ]
        lines += [*_search_table(res), ""]
        if "http" in res:
            on = res.get("http_engine", "ours")
            lines += [f"### HTTP (`python -m web` on {on}, 4 concurrent clients from another "
                      "process)", ""]  # fmt: skip
            lines += ["| endpoint | requests | errors | req/s | median ms | p95 ms | max ms |"]
            lines += ["|---|---|---|---|---|---|---|"]
            for kind, h in res["http"].items():
                lines.append(
                    f"| {kind} | {h['requests']} | {h['errors']} | {h['rps']:.1f} "
                    f"| {h['median_ms']:.1f} | {h['p95_ms']:.1f} | {h['max_ms']:.0f} |"
                )
            lines.append("")
        drawn = f" (drawn from {res['queries_from']}'s build)" if "queries_from" in res else ""
        examples = "; ".join(f"`{q}`" for q in res["queries"][:12])
        lines += [f"Example queries{drawn}: {examples}", ""]
    return "\n".join(lines)
