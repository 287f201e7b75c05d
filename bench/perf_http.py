"""HTTP part of bench/perf.py: `python -m web` under a bounded load from a second process.

    python bench/perf_http.py client BASE_URL CONCURRENCY QUERIES_JSON OUT_JSON

The client sends every query of QUERIES_JSON twice, once to the search page (`/search`) and once
to the JSON API (`/api/search`), from CONCURRENCY threads (each thread waits for its answer
before sending the next request: a closed loop, so the load is bounded), and writes per kind:
requests, errors, seconds, requests/s and latency percentiles.
"""

from __future__ import annotations

import json
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
sys.path.insert(0, str(ROOT))

from bench.load_during_update import _wait_ready  # noqa: E402

KINDS = {"page": "/search?q=", "api": "/api/search?q="}


def serve_and_load(index_dir: Path, queries: list[str], concurrency: int, out: Path) -> dict:
    """Start `python -m web` on a free loopback port, warm it, run the client, stop it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "web", "--index", str(index_dir), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_ready(base, server)
        for path in ("/", "/search?q=cancer", "/api/search?q=cancer"):  # warm-up, not measured
            with urllib.request.urlopen(base + path, timeout=300) as response:
                response.read()
        qfile = out.with_suffix(".queries.json")
        qfile.write_text(json.dumps(queries))
        subprocess.run(
            [sys.executable, __file__, "client", base, str(concurrency), str(qfile), str(out)],
            check=True,
        )
        return json.loads(out.read_text())
    finally:
        server.terminate()
        server.wait(timeout=30)


def _client(base: str, concurrency: int, queries: list[str]) -> dict:
    results = {}
    for kind, prefix in KINDS.items():
        todo = list(enumerate(queries))
        lock = threading.Lock()
        times: list[float] = []
        errors = [0]

        def worker(prefix: str = prefix, todo: list = todo, lock=lock, times=times, errors=errors):  # noqa: ANN001
            while True:
                with lock:
                    if not todo:
                        return
                    _, q = todo.pop()
                url = base + prefix + urllib.parse.quote(q)
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(url, timeout=120) as response:
                        response.read()
                        ok = response.status == 200
                except urllib.error.HTTPError as e:
                    ok = e.code == 400  # a query the service refuses with a reason is an answer
                except OSError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    times.append(elapsed)
                    errors[0] += 0 if ok else 1

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
        ms = sorted(t * 1000 for t in times)
        results[kind] = {
            "requests": len(ms),
            "errors": errors[0],
            "seconds": seconds,
            "rps": len(ms) / seconds,
            "median_ms": statistics.median(ms),
            "p95_ms": ms[max(0, round(0.95 * len(ms)) - 1)],
            "max_ms": ms[-1],
        }
    return results


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "client":
        _, _, base_url, conc, qpath, opath = sys.argv
        result = _client(base_url, int(conc), json.loads(Path(qpath).read_text()))
        Path(opath).write_text(json.dumps(result, indent=1))
    else:
        sys.exit(__doc__)
