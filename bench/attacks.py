"""Hostile requests of issue 15 against a running `python -m web`, timed from a second process.

    python bench/attacks.py --url http://127.0.0.1:8000 --index DIR [--only NAME ...]
                            [--slow PATH]

Each attack is sent once and reported with its status, seconds and body size; the concurrent
one sends four term ranges (or four `--slow` requests) at once, then a plain search and
/api/health while they run. `--index` is the index the server reads: the MeSH UIs for the
repeated `mesh=` values are taken from it. Not part of the test suite (tests/test_query.py,
test_errors.py, test_export.py and test_deadline.py send the same attacks at sizes that run in
seconds).
"""

from __future__ import annotations

import argparse
import http.client
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIMEOUT = 600


def send(base: str, path: str, method: str = "GET") -> tuple[int, float, int]:
    """(status, seconds, body bytes) of one request on a fresh connection."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    started = time.perf_counter()
    try:
        conn.request(method, path)
        response = conn.getresponse()
        body = response.read()
        return response.status, time.perf_counter() - started, len(body)
    except (TimeoutError, OSError):
        return 0, time.perf_counter() - started, 0
    finally:
        conn.close()


def mesh_uis(index: Path, n: int) -> list[str]:
    """`n` descriptor UIs of the index (the first ones a type=mesh search lists)."""
    from search import SearchEngine, SearchRequest

    engine = SearchEngine(index)
    uis: list[str] = []
    page = 1
    while len(uis) < n:
        req = SearchRequest(filters=(("type", ("mesh",)),), size=100, page=page)
        hits = engine.search(req).hits
        if not hits:
            break
        uis += [h.id for h in hits]
        page += 1
    return uis[:n]


def attacks(index: Path) -> dict[str, tuple[str, str]]:
    uis = mesh_uis(index, 2000)
    many = "+".join(f"w{i}" for i in range(1000))[:3990]  # 4,000 characters of distinct words

    def repeated(n: int) -> str:
        return "/search?" + urlencode([("q", "melanoma")] + [("mesh", u) for u in uis[:n]])

    return {
        "range [TO z]": ("GET", "/api/search?q=" + quote("[TO z]")),
        "range [a TO z]": ("GET", "/api/search?q=" + quote("[a TO z]")),
        "range title:[a TO z]": ("GET", "/api/search?q=" + quote("title:[a TO z]")),
        "range {a TO b} HTML": ("GET", "/search?q=" + quote("{a TO b}")),
        "prefix pro*": ("GET", "/api/search?q=" + quote("pro*")),
        "prefix the*": ("GET", "/api/search?q=" + quote("the*")),
        "wildcard c*r*": ("GET", "/api/search?q=" + quote("con*n*")),
        "prefix mesh_tree:C04*": ("GET", "/api/search?q=" + quote("mesh_tree:C04*")),
        "year melanoma year:2015..2020": (
            "GET",
            "/api/search?q=" + quote("melanoma year:2015..2020"),
        ),
        "4,000-char query": ("GET", "/api/search?q=" + many),
        "mesh= x1000 HTML": ("GET", repeated(1000)),
        "mesh= x2000 HTML": ("GET", repeated(2000)),
        "HEAD export search.csv q=cancer": ("HEAD", "/export/search.csv?q=cancer"),
        "GET export search.csv q=cancer": ("GET", "/export/search.csv?q=cancer"),
    }


def concurrent(base: str, slow: str) -> list[tuple[str, int, float, int]]:
    """Four `slow` requests at once; one second later a plain search and /api/health."""
    out: list[tuple[str, int, float, int]] = []
    lock = threading.Lock()

    def one(name: str, path: str) -> None:
        result = send(base, path)
        with lock:
            out.append((name, *result))

    slow = [threading.Thread(target=one, args=(f"concurrent slow #{i}", slow)) for i in range(4)]
    for t in slow:
        t.start()
    time.sleep(1)
    quick = [
        threading.Thread(target=one, args=("concurrent: plain search", "/search?q=melanoma")),
        threading.Thread(target=one, args=("concurrent: /api/health", "/api/health")),
    ]
    for t in quick:
        t.start()
    for t in slow + quick:
        t.join()
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="base URL of a running `python -m web`")
    parser.add_argument("--index", required=True, type=Path, help="the index it serves")
    parser.add_argument("--only", action="append", help="run the attacks whose name has this")
    parser.add_argument(
        "--slow",
        default="/api/search?q=%5Ba+TO+z%5D",
        help="the request sent four times at once (default: q=[a TO z])",
    )
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    send(base, "/search?q=cancer")  # warm-up, not measured
    rows: list[tuple[str, int, float, int]] = []
    for name, (method, path) in attacks(args.index).items():
        if args.only and not any(o in name for o in args.only):
            continue
        rows.append((name, *send(base, path, method)))
        print(f"{rows[-1][0]:34} {rows[-1][1]:4} {rows[-1][2]:8.2f} s {rows[-1][3]:>12,} B")
    if not args.only or any("concurrent" in o for o in args.only):
        for row in concurrent(base, args.slow):
            print(f"{row[0]:34} {row[1]:4} {row[2]:8.2f} s {row[3]:>12,} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
