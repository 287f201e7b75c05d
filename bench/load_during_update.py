"""Load on `python -m web` while `python -m indexer update` runs: is anything dropped or slow?

    python bench/load_during_update.py --index DIR [--port P] [--clients 4] [--rate 20]
        [--before 30] [--after 20] [--command update|build] PATH...

Starts `python -m web --index DIR` (waitress) and requests each page once (warm-up, not
measured); then a second process (this script in client mode) sends a bounded load over
loopback: `--clients` threads, at most `--rate` requests per second in all, each request a
real page or API call (searches with and without facets, record pages, health). After
`--before` seconds, `python -m indexer update` of PATHs starts (with `--command build`, a
full rebuild from PATHs); the load goes on until `--after` seconds after it ended. Each request
is classed by when it started: before, during, or after the switch. Prints requests, errors
(5xx, connection errors, others) and latency percentiles per phase as a markdown table, and
writes the raw timings to bench/out/load_during_update.json. The index is modified: run it
on a copy.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "load_during_update.json"
QUERIES = [
    "melanoma interleukin-2", '"breast cancer" tamoxifen', "IL-6 rheumatoid arthritis",
    "prostate cancer", "diabetes insulin", "lung cancer pembrolizumab", "myocardial infarction",
    "hypertension", "asthma children", "herniated disc surgery", "non-small cell lung cancer",
    "depression", "vaccine", "obesity exercise", "leukemia", "anaemia",
]  # fmt: skip
PATHS = (
    [f"/api/search?q={urllib.parse.quote(q)}" for q in QUERIES]
    + [f"/search?q={urllib.parse.quote(q)}" for q in QUERIES[:6]]
    + [f"/api/search?q={urllib.parse.quote(q)}&type=trial&status=COMPLETED" for q in QUERIES[:6]]
    + [f"/api/search?q={urllib.parse.quote(q)}&sort=newest&page=2" for q in QUERIES[6:10]]
    + ["/api/records/NCT00002845", "/api/records/D008545", "/api/health", "/"]
)


def client(base: str, seconds: float, clients: int, rate: float, out: Path) -> None:
    """Client mode: the bounded load until SIGTERM (or `seconds`); then writes
    [(start, latency, status)] to `out`."""
    results: list[tuple[float, float, int]] = []
    lock = threading.Lock()
    interval = clients / rate  # each thread's pace, so that all of them make `rate` per second
    deadline = time.time() + seconds
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def worker(k: int) -> None:
        i = k
        next_at = time.monotonic()
        while not stop.is_set() and time.time() < deadline:
            path = PATHS[i % len(PATHS)]
            i += clients
            started, t0 = time.time(), time.perf_counter()
            try:
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as e:
                status = e.code
            except OSError:
                status = 0  # connection refused / reset / timed out
            with lock:
                results.append((started, time.perf_counter() - t0, status))
            next_at += interval
            stop.wait(max(0.0, next_at - time.monotonic()))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)  # the main thread stays free to take SIGTERM
    out.write_text(json.dumps(results))


def _wait_ready(base: str, server: subprocess.Popen) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        assert server.poll() is None, "the web server exited"
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the web server did not answer /api/health in 120 s")


def _row(name: str, rows: list[tuple[float, float, int]], seconds: float) -> str:
    if not rows:
        return f"| {name} | 0 | | | | | | |"
    ms = sorted(r[1] * 1000 for r in rows)
    five = sum(1 for r in rows if r[2] >= 500)
    refused = sum(1 for r in rows if r[2] == 0)
    other = sum(1 for r in rows if 0 < r[2] < 500 and not 200 <= r[2] < 400)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (
        f"| {name} | {len(rows)} | {len(rows) / seconds:.1f} | {five} | {refused} | {other} "
        f"| {statistics.median(ms):.0f} | {p95:.0f} | {ms[-1]:.0f} |"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        base, seconds, clients, rate, out = sys.argv[2:7]
        client(base, float(seconds), int(clients), float(rate), Path(out))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rate", type=float, default=20.0, help="requests per second, all clients")
    ap.add_argument("--before", type=float, default=30.0)
    ap.add_argument("--after", type=float, default=20.0)
    ap.add_argument("--max-update", type=float, default=1800.0, help="seconds the load may last")
    ap.add_argument("--command", choices=("update", "build"), default="update")
    ap.add_argument("paths", nargs="+", metavar="PATH")
    args = ap.parse_args()
    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{args.port}"
    py = sys.executable
    server = subprocess.Popen(
        [py, "-m", "web", "--index", args.index, "--port", str(args.port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    load = None
    try:
        _wait_ready(base, server)
        time.sleep(1)
        assert server.poll() is None, f"the web server exited (is port {args.port} taken?)"
        for path in PATHS:  # warm-up, not measured: each page once
            with urllib.request.urlopen(base + path, timeout=120) as response:
                response.read()
        raw = OUT.with_suffix(".client.json")
        OUT.parent.mkdir(parents=True, exist_ok=True)
        total = args.before + args.max_update + args.after
        load = subprocess.Popen(
            [py, __file__, "client", base, str(total), str(args.clients), str(args.rate), str(raw)]
        )
        time.sleep(args.before)
        t_start = time.time()
        update = subprocess.run(
            [py, "-m", "indexer", args.command, "--index", args.index, *args.paths],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        t_end = time.time()
        time.sleep(args.after)
        load.terminate()  # the client stops and writes its results
        load.wait(120)
    finally:
        if load is not None and load.poll() is None:
            load.kill()
        server.terminate()
        server.wait(30)
    _report(raw, t_start, t_end, args, update)


def _report(raw: Path, t_start: float, t_end: float, args, update) -> None:  # noqa: ANN001
    if not raw.exists():
        raise SystemExit("the load client wrote no results (stopped too early?)")
    rows = [tuple(r) for r in json.loads(raw.read_text())]
    first = min(r[0] for r in rows)
    phases = [
        (f"before the {args.command}", [r for r in rows if r[0] < t_start], t_start - first),
        (
            f"during the {args.command}",
            [r for r in rows if t_start <= r[0] < t_end],
            t_end - t_start,
        ),
        ("after the switch", [r for r in rows if t_end <= r[0]], args.after),
    ]
    summary = update.stdout.strip().splitlines()[-2:]
    print(f"{args.command}: exit {update.returncode}, {t_end - t_start:.1f} s: {' '.join(summary)}")
    if update.returncode:
        print(update.stderr)
    print(f"load: {args.clients} clients, at most {args.rate:g} requests/s, loopback\n")
    print("| phase | requests | req/s | 5xx | conn. errors | other | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, subset, seconds in phases:
        print(_row(name, subset, seconds))
    OUT.write_text(json.dumps({"update_start": t_start, "update_end": t_end, "requests": rows}))


if __name__ == "__main__":
    main()
