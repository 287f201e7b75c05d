"""Scale benchmark: Whoosh, Xapian one database, Xapian 2 shards behind xapian-tcpsrv, on
corpora of 1x, 4x and 10x the real records of ../shared/data (not part of the test run).

A SIMULATION BUILT FROM REAL RECORDS: copy c of the corpus (c = 0..X-1) is every real trial
and article of ../shared/data re-keyed into a reserved id range, so copies never collide:
NCT ids + c x 10,000,000 (NCT1xxxxxxx..NCT9xxxxxxx, numbers ClinicalTrials.gov has not issued;
real ones are below NCT08000000) and PMIDs + c x 100,000,000 (real PMIDs are below 40 million),
their cross-references re-keyed the same way; MeSH descriptors once. The text is real, so the
vocabulary does not grow with the copies as a real corpus's would (see bench/REPORT.md).

    nice -n 10 .venv/bin/python bench/scale.py run --sizes 1 4 --engines whoosh xapian1 xapian2
    .venv/bin/python bench/scale.py report         # bench/scale.json -> the table (markdown)

`run` measures, each step in a fresh process: build (records/s, peak memory of the process
and its writer processes, index size), warm search (200 seeded queries drawn from the records,
with facets and snippets, after 50 warm-up ones: p50/p95), related items (p95 over 100
records), a 1% update (that many records' titles changed, through the indexer's Change), and
for xapian2 the mismatches of remote shards against the one-database index of the same size
(totals, facet counts, top 10 as groups of equal score). The remote run starts a count server
beside each shard server (search/xapian/countserver.py; `remote --no-counters`: without, the
shard servers count with match spies) and reports its CPU seconds and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import _one  # noqa: E402
from indexer import store  # noqa: E402
from indexer.build import BuildReport, _add, collect_sources, load_mesh  # noqa: E402
from indexer.documents import to_document  # noqa: E402
from indexer.parse import parse_source  # noqa: E402
from indexer.records import Article, Deleted, Trial  # noqa: E402
from indexer.sources import MESH_FORMATS  # noqa: E402
from search import fields as f  # noqa: E402
from search.backend import backend as backend_package  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
PATHS = [str(SHARED / "trials"), str(SHARED / "pubmed"), str(SHARED / "mesh")]
PATHS = os.environ.get("SCALE_PATHS", " ".join(PATHS)).split()  # (a quick check: tests/data)
ENGINES = {"whoosh": ("whoosh", 1), "xapian1": ("xapian", 1), "xapian2": ("xapian", 2)}
RESULTS = Path(os.environ.get("SCALE_RESULTS", ROOT / "bench" / "scale.json"))
SAMPLE = 400  # records kept (seeded reservoir) to draw queries and related ids from
QUERIES, WARMUP, RELATED = 200, 50, 100
SHARD_TIMEOUT = 60.0  # seconds
TAG = os.environ.get("SCALE_TAG", "")  # signatures-remote{TAG}.json: two runs of one index apart


def nct(value: str, c: int) -> str:
    if not c or not value.startswith("NCT") or not value[3:].isdigit():
        return value
    n = int(value[3:])
    assert n < 10_000_000, value
    return f"NCT{c * 10_000_000 + n:08d}"


def pmid(value: str, c: int) -> str:
    return str(c * 100_000_000 + int(value)) if c and value.isdigit() else value


def rekey(rec: Any, c: int) -> Any:
    """Copy c of a record, in its reserved id range (references re-keyed alike)."""
    if isinstance(rec, Trial):
        refs = tuple(replace(r, pmid=pmid(r.pmid, c)) for r in rec.references)
        return replace(rec, nct_id=nct(rec.nct_id, c), references=refs)
    if isinstance(rec, Article):
        return replace(rec, pmid=pmid(rec.pmid, c), nct_ids=tuple(nct(n, c) for n in rec.nct_ids))
    if isinstance(rec, Deleted):
        return replace(rec, id=pmid(rec.id, c))
    return rec


def peak_mb() -> int:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024)


def build(index_dir: Path, engine: str, copies: int) -> dict[str, Any]:
    """rebuild_index's loop over `copies` re-keyed copies of the sources (the real parsers,
    documents and backend writers; each copy parses the files again)."""
    name, shards = ENGINES[engine]
    started = time.perf_counter()
    report = BuildReport(backend=name, shards=shards)
    sources = collect_sources(PATHS, report, lambda e, n: None)
    descriptors, lookup = load_mesh(
        [s for s in sources if s.format in MESH_FORMATS], report, lambda e, n: None
    )
    build_dir = store.new_build_dir(index_dir)
    package = backend_package(name)
    writer = package.create(build_dir, shards=shards) if shards > 1 else package.create(build_dir)
    for d in descriptors:
        writer.add(d.ui, to_document(d, lookup))
        report.counts["mesh"] += 1
    rng, sample, seen = random.Random(7), [], 0
    versions: dict[str, tuple[str, str]] = {}
    for c in range(copies):
        for source in sources:
            if source.format in MESH_FORMATS:
                continue
            for rec in parse_source(source):
                rec = rekey(rec, c)
                _add(rec, writer, lookup, versions, report)
                if c == 0 and isinstance(rec, (Trial, Article)):
                    seen += 1
                    if len(sample) < SAMPLE:
                        sample.append(rec)
                    elif (j := rng.randrange(seen)) < SAMPLE:
                        sample[j] = rec
    writer.commit()
    report.seconds = time.perf_counter() - started
    store.write_meta(build_dir, report.meta())
    store.switch_to(index_dir, build_dir)
    records = [f.unpack_record(to_document(r, lookup)[f.RECORD]) for r in sample]
    (index_dir / "sample.json").write_text(json.dumps(records, default=str))
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the shard writer processes
    parse_cpu = own.ru_utime + own.ru_stime
    write_cpu = kids.ru_utime + kids.ru_stime
    return {
        "records": report.total,
        "seconds": round(report.seconds, 1),
        "records_per_s": round(report.total / report.seconds),
        "cpu_s": round(parse_cpu + write_cpu, 1),
        "main_cpu_s": round(parse_cpu, 1),  # parsing and documents (and writing, unsharded)
        "records_per_cpu_s": round(report.total / (parse_cpu + write_cpu)),
        # on 2 idle cores: the busier of the parser and the 2 cores' share of all the work
        "records_per_s_2_idle_cores": round(
            report.total / max(parse_cpu, (parse_cpu + write_cpu) / 2)
        ),
        "peak_mb": peak_mb(),
        "index_mb": round(store.folder_size(build_dir) / 1e6),
    }


def draw(index_dir: Path) -> tuple[list[str], list[str]]:
    """The seeded queries (bench/corpus.py's kinds) and related ids of a size's sample."""
    records = json.loads((index_dir / "sample.json").read_text())
    rng = random.Random(11)
    queries = []
    while len(queries) < QUERIES + WARMUP:
        q = _one(rng, rng.choice(records))
        if q is not None:
            queries.append(q.text)
    ids = [r.get("nct_id") or r.get("pmid") for r in records[:RELATED]]
    return queries, ids


def pct(values: list[float], p: float) -> float:
    return round(statistics.quantiles(values, n=100)[p - 1], 1) if len(values) > 1 else 0.0


def signature(page: Any) -> dict[str, Any]:
    """What must be equal between two indexes of the same records: totals, facet counts,
    and the top 10 as groups of equal score (ties are in docid order, which differs)."""
    groups: list[list] = []
    for h in page.hits:
        if groups and groups[-1][0] == h.score:
            groups[-1][1].append(h.id)
        else:
            groups.append([h.score, [h.id]])
    return {
        "total": page.total,
        "facets": {x.name: [(v.value, v.count) for v in x.values] for x in page.facets},
        "groups": [[s, sorted(ids)] for s, ids in groups[:-1]],
        "scores": [h.score for h in page.hits],
    }


def search(index_dir: Path, shards: str, counters: str = "") -> dict[str, Any]:
    """Warm search and related latency through the face (SearchEngine); signatures saved."""
    from search.engine import SearchEngine
    from search.errors import InvalidRequest, SearchError
    from search.models import SearchRequest

    # a shard's answer may take long on a loaded machine: the benchmark measures, not times out
    options = {"shards": shards, "shard_timeout": SHARD_TIMEOUT} if shards else {}
    if counters:
        options["counters"] = counters
    engine = SearchEngine(index_dir, **options)
    t, c = time.perf_counter(), time.process_time()
    engine.warm()
    warm_s, warm_cpu = time.perf_counter() - t, time.process_time() - c
    warm_mb = peak_mb()  # the process's peak once warm, before any search
    queries, ids = draw(index_dir)
    times, cpu, sigs, failed = [], [], {}, []
    load = os.getloadavg()[0]
    for n, q in enumerate(queries):
        t, c = time.perf_counter(), time.process_time()
        try:
            page = engine.search(SearchRequest(q=q))
        except InvalidRequest:  # a draw of stop words only: refused alike by every engine
            continue
        except SearchError as e:  # a shard that stopped on it (503): listed, not timed
            failed.append(f"{q}: {e}")
            continue
        if n >= WARMUP:
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            sigs[q] = signature(page)
    engine.related(ids[0])
    related, related_cpu = [], []
    for record_id in ids:
        t, c = time.perf_counter(), time.process_time()
        engine.related(record_id)
        related.append((time.perf_counter() - t) * 1000)
        related_cpu.append((time.process_time() - c) * 1000)
    name = "remote" if shards else "local"
    (index_dir / f"signatures-{name}{TAG}.json").write_text(json.dumps(sigs))
    return {
        "open_s": round(warm_s, 1),
        "open_cpu_s": round(warm_cpu, 1),
        "open_peak_mb": warm_mb,
        "search_p50_ms": pct(times, 50),
        "search_p95_ms": pct(times, 95),
        "related_p95_ms": pct(related, 95),
        # this process's CPU time per call (the shard servers' is apart: remote_search)
        "search_cpu_p50_ms": pct(cpu, 50),
        "search_cpu_p95_ms": pct(cpu, 95),
        "related_cpu_p95_ms": pct(related_cpu, 95),
        "load_1min": round((load + os.getloadavg()[0]) / 2, 1),
        "failed": failed,
        "peak_mb_search": peak_mb(),
    }


def update(index_dir: Path) -> dict[str, Any]:
    """1% of the records (the sample's kinds, drawn from every copy) get a changed title and
    are written through the indexer's Change into a new build, switched in."""
    from indexer.indexed import record_from_dict
    from search.engine import SearchEngine
    from search.models import SearchRequest

    engine = SearchEngine(index_dir)
    total = engine.status()["total"]
    want = max(1, total // 100)
    chosen, page = [], 1
    rng = random.Random(5)
    while len(chosen) < want:  # records spread over the index: random browse pages
        last = min(100, max(1, engine.search(SearchRequest(q="", size=100)).total // 100))
        hits = engine.search(SearchRequest(q="", size=100, page=rng.randint(1, last))).hits
        chosen += [h.id for h in hits if h.type != f.MESH_TYPE]
        page += 1
    records = [record_from_dict(engine.get(i)) for i in dict.fromkeys(chosen[:want])]
    t = time.perf_counter()
    retitle(index_dir, records)
    return {"update_records": len(records), "update_s": round(time.perf_counter() - t, 1)}


def retitle(index_dir: Path, records: list[Any]) -> Path:
    """The records with " (updated)" added to their titles, written through the indexer's
    Change into a new build of `index_dir`, switched in (the benchmarks' updates)."""
    from indexer.change import Change
    from indexer.indexed import IndexedMesh
    from search.store import backend_name, current_build

    live = current_build(index_dir)
    build_dir = store.new_build_dir(index_dir)
    writer = backend_package(backend_name(live)).update(live, build_dir)
    change = Change(writer)
    lookup = IndexedMesh(change.indexed)
    for rec in records:
        field = "brief_title" if isinstance(rec, Trial) else "title"
        change.put(replace(rec, **{field: getattr(rec, field) + " (updated)"}), lookup)
    writer.commit()
    meta = {**store.read_build_meta(live), "counts": writer.counts(), "updated_at": store.now_iso()}
    store.write_meta(build_dir, meta)
    store.switch_to(index_dir, build_dir)
    return build_dir


def child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True
    ).stdout  # (its stderr is this process's: a failing step shows its traceback)
    return json.loads(out.strip().splitlines()[-1])


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_shards(
    index_dir: Path, counters: bool = False
) -> tuple[list[subprocess.Popen], str, str]:
    """2 xapian-tcpsrv on 127.0.0.1 serving the shards (and with `counters` a count server
    beside each, ready once it listens: its arrays read), and their addresses."""
    import socket

    procs, addresses, counting = [], [], []
    for k in range(2):
        port = free_port()
        path = index_dir / "current" / "shards" / str(k)
        procs.append(subprocess.Popen(
            ["xapian-tcpsrv", "--interface", "127.0.0.1", "--port", str(port), str(path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        ))  # fmt: skip
        addresses.append(f"127.0.0.1:{port}")
        if counters:
            port = free_port()
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "search.xapian.countserver", "--db", str(path),
                 "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True,
            ))  # fmt: skip
            counting.append(f"127.0.0.1:{port}")
    time.sleep(1.0)
    for address in counting:
        while True:
            try:
                socket.create_connection(("127.0.0.1", int(address.split(":")[1])), 1).close()
                break
            except OSError:
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError("a shard server stopped while starting") from None
                time.sleep(0.5)
    return procs, ",".join(addresses), ",".join(counting)


def _cpu_and_peak(pid: int) -> tuple[float, int]:
    """A process's CPU seconds (user + system) and peak resident MB, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM"))
    return cpu, round(peak / 1024)


def remote_search(index_dir: Path, size: int, work: Path, counters: bool = True) -> dict[str, Any]:
    """`search` against the size's shards behind 2 xapian-tcpsrv on 127.0.0.1, with a count
    server beside each unless `counters` is false (all started and stopped here), and the
    mismatches against the other runs. (xapian-tcpsrv's CPU is not counted: its connection
    processes are reaped without adding to its own times; the count servers' is, from /proc.)"""
    started = time.perf_counter()
    procs, addresses, counting = serve_shards(index_dir, counters)
    ready = time.perf_counter() - started
    servers = [p for p in procs if p.args[0] == sys.executable]
    try:
        before = [_cpu_and_peak(p.pid)[0] for p in servers]
        remote = child("search", str(index_dir), addresses, counting)
        after = [_cpu_and_peak(p.pid) for p in servers]
    finally:
        for p in procs:
            os.killpg(p.pid, 9)
            p.wait()
    row = {f"remote_{k}": v for k, v in remote.items()}
    if counters:
        row["remote_counters_ready_s"] = round(ready, 1)
        row["remote_counters_cpu_s"] = [
            round(a[0] - b, 1) for a, b in zip(after, before, strict=True)
        ]
        row["remote_counters_peak_mb"] = [a[1] for a in after]
    signatures = index_dir / f"signatures-remote{TAG}.json"
    pairs = {"one_db": local_signatures(work / f"{size}x-xapian1"),
             "local_shards": local_signatures(index_dir)}  # fmt: skip
    for name, other in pairs.items():
        if other.exists():
            row[f"mismatch_counts_remote_vs_{name}"] = mismatches(
                signatures, other, ("total", "facets")
            )
            row[f"mismatch_top10_remote_vs_{name}"] = mismatches(signatures, other)
    row["queries"] = len(json.loads(signatures.read_text()))
    return row


def local_signatures(index_dir: Path, tag: str | None = None) -> Path:
    """The local run's signatures to compare a remote run with: those taken under the same
    SCALE_TAG when there are (a re-measure after the 1% update, whose build the untagged ones
    predate), else the untagged ones of `run`."""
    tagged = index_dir / f"signatures-local{TAG if tag is None else tag}.json"
    return tagged if tagged.exists() else index_dir / "signatures-local.json"


def mismatches(a: Path, b: Path, keys: tuple[str, ...] = ("groups", "scores")) -> int:
    """Queries whose `keys` differ between two signature files."""
    x, y = json.loads(a.read_text()), json.loads(b.read_text())
    return sum(1 for q in x if any(x[q][k] != y.get(q, {}).get(k) for k in keys))


def run(sizes: list[int], engines: list[str], work: Path) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for size in sizes:
        for engine in engines:
            key = f"{size}x/{engine}"
            index_dir = work / f"{size}x-{engine}"
            shutil.rmtree(index_dir, ignore_errors=True)
            index_dir.mkdir(parents=True)
            row = {"size": size, "engine": engine, **child("build", str(index_dir), engine,
                                                           str(size))}  # fmt: skip
            print(key, row, flush=True)
            try:
                row.update(child("search", str(index_dir), ""))
            except subprocess.CalledProcessError as e:  # Xapian 1.4.26 on local shards: REPORT
                row["search_failed"] = f"exit {e.returncode}"
            if engine == "xapian2":
                row.update(remote_search(index_dir, size, work))
            row.update(child("update", str(index_dir)))
            results[key] = row
            print(key, row, flush=True)
            RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


def merge(size: int, engine: str, found: dict[str, Any]) -> None:
    """Add figures to the size's row of an engine in RESULTS (printed too)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    row = results.setdefault(f"{size}x/{engine}", {"size": size, "engine": engine})
    row.update(found)
    print(f"{size}x/{engine}", json.dumps(found), flush=True)
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


COLUMNS = (
    ("records", "records"),
    ("build s", "seconds"),
    ("records/s", "records_per_s"),
    ("peak MB", "peak_mb"),
    ("index MB", "index_mb"),
    ("open s", "open_s"),
    ("search p50 ms", "search_p50_ms"),
    ("search p95 ms", "search_p95_ms"),
    ("related p95 ms", "related_p95_ms"),
    ("1% update s", "update_s"),
)


def report() -> str:
    """bench/scale.json as markdown: one row per size and engine (xapian2 twice: its shards
    opened locally, and behind xapian-tcpsrv)."""
    results = json.loads(RESULTS.read_text())
    head = "| size | engine | " + " | ".join(c for c, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for key in sorted(results, key=lambda k: (results[k]["size"], list(ENGINES).index(
            results[k]["engine"]))):  # fmt: skip
        row = results[key]
        variants = [("", row["engine"] + (" (local shards)" if row["engine"] == "xapian2" else ""))]
        if "remote_search_p50_ms" in row:
            variants.append(("remote_", "xapian2 (xapian-tcpsrv)"))
        for pre, label in variants:
            cells = [
                f"{row.get(pre + k, row.get(k, '')):,}" if isinstance(row.get(pre + k, row.get(k)),
                                                                      (int, float)) else ""
                for _, k in COLUMNS
            ]  # fmt: skip
            lines.append(f"| {row['size']}x | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 10])
    r.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    r.add_argument("--work", type=Path, default=Path("/tmp/scale-bench"))
    b = sub.add_parser("build")
    b.add_argument("index", type=Path)
    b.add_argument("engine", choices=list(ENGINES))
    b.add_argument("copies", type=int)
    s = sub.add_parser("search")
    s.add_argument("index", type=Path)
    s.add_argument("shards")
    s.add_argument("counters", nargs="?", default="")
    u = sub.add_parser("update")
    u.add_argument("index", type=Path)
    m = sub.add_parser("remote", help="search SIZE's xapian2 shards behind xapian-tcpsrv")
    m.add_argument("size", type=int)
    m.add_argument("--work", type=Path, default=Path("/tmp/scale-bench"))
    m.add_argument("--no-counters", action="store_true",
                   help="no count servers: the shard servers count with match spies")  # fmt: skip
    a = sub.add_parser("add", help="merge a step's JSON output (build, search...) into a row")
    a.add_argument("size", type=int)
    a.add_argument("engine", choices=list(ENGINES))
    a.add_argument("json", type=Path)
    a.add_argument("--prefix", default="", help="prepended to each key (remote_ ...)")
    sub.add_parser("report")
    args = parser.parse_args()
    if args.command == "run":
        run(args.sizes, args.engines, args.work)
    elif args.command == "build":
        print(json.dumps(build(args.index, args.engine, args.copies)))
    elif args.command == "search":
        print(json.dumps(search(args.index, args.shards, args.counters)))
    elif args.command == "update":
        print(json.dumps(update(args.index)))
    elif args.command == "remote":
        index_dir = args.work / f"{args.size}x-xapian2"
        found = remote_search(index_dir, args.size, args.work, not args.no_counters)
        merge(args.size, "xapian2", found)
    elif args.command == "add":
        found = json.loads(args.json.read_text().strip().splitlines()[-1])
        merge(args.size, args.engine, {args.prefix + k: v for k, v in found.items()})
    elif args.command == "report":
        print(report())


if __name__ == "__main__":
    main()
