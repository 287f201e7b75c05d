"""The Xapian backend alone: build rate and warm search latency (facets and snippets), until
bench/perf.py can drive it through the face (`indexer build --backend xapian` and the neutral
query parser). Queries are bench/corpus.py's, drawn the same way from the index's own records,
written as neutral query trees (words OR'ed on the weighted field, "phrases", title:, status and
year filters; no MeSH expansion).

    .venv/bin/python bench/perf_xapian.py build DIR PATH...
    .venv/bin/python bench/perf_xapian.py search DIR [--queries 500] [--warmup 100]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import Query, _one  # noqa: E402
from indexer.build import rebuild_index  # noqa: E402
from search import fields as f  # noqa: E402
from search import querytree as qt  # noqa: E402
from search.analysis import analyzer  # noqa: E402
from search.models import SearchRequest  # noqa: E402
from search.xapian import Reader  # noqa: E402
from search.xapian.engine import Parsed  # noqa: E402

_ANALYZER = analyzer()


def build(index_dir: Path, paths: list[str]) -> dict:
    """Every record built by the real indexer into a Xapian index; the figures."""
    report = rebuild_index(paths, index_dir, backend="xapian")
    seconds = report.seconds
    build_dir = Path(report.build_dir)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    records = Reader(index_dir).status()["total"]
    size = sum(p.stat().st_size for p in (build_dir / "xapian").iterdir())
    return {
        "records": records,
        "seconds": round(seconds, 1),
        "records/s": round(records / seconds),
        "cpu_s": round(cpu, 1),
        "records/cpu-s": round(records / cpu),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "size_mb": round(size / 1e6, 1),
    }


def tree(query: Query) -> qt.Node:
    """A bench query as the neutral tree the parser would make of it (without MeSH)."""
    field = f.TITLE if query.field == "title" else f.ALL
    terms = [t for w in query.words for t in _ANALYZER.terms(w, mode="query")]
    if query.phrase and len(terms) > 1:
        node: qt.Node = qt.Phrase(field, tuple(terms))
    else:
        node = qt.Or(tuple(qt.Term(field, t) for t in terms))
    required: list[qt.Node] = []
    if "status" in query.filters:
        required.append(qt.Term(f.STATUS, query.filters["status"]))
    if "year" in query.filters:
        low, high = query.filters["year"]
        required.append(qt.Range(f.YEAR, low, high))
    return qt.And((node, *required)) if required else node


def draw(reader: Reader, n: int, seed: int) -> list[Query]:
    """`n` queries from the index's records, as bench/corpus.py draws them."""
    rng = random.Random(seed)
    with reader.lock:
        db = reader.state().db
        docids = [int(d) for d in reader.state().tables.live.nonzero()[0]]
        rng.shuffle(docids)
        out: list[Query] = []
        for docid in docids:
            if len(out) >= n:
                break
            query = _one(rng, f.unpack_record(db.get_document(docid).get_data()))
            if query is not None and tree(query) != qt.Or(()):
                out.append(query)
    return out


def search(index_dir: Path, n: int, warmup: int) -> dict:
    reader = Reader(index_dir)
    started = time.perf_counter()
    reader.warm()
    opened = time.perf_counter() - started
    measured, warm = draw(reader, n, seed=7), draw(reader, warmup, seed=8)

    def run(q: Query) -> float:
        t = time.perf_counter()
        node = tree(q)
        reader.search_parsed(SearchRequest(q=q.text), Parsed(node, node, q.text, q.words))
        return (time.perf_counter() - t) * 1000

    for q in warm:
        run(q)
    times = sorted(run(q) for q in measured)
    return {
        "open_and_warm_s": round(opened, 2),
        "queries": len(times),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("index", type=Path)
    b.add_argument("paths", nargs="+")
    s = sub.add_parser("search")
    s.add_argument("index", type=Path)
    s.add_argument("--queries", type=int, default=500)
    s.add_argument("--warmup", type=int, default=100)
    args = p.parse_args(argv)
    if args.command == "build":
        print(build(args.index, args.paths))
    else:
        print(search(args.index, args.queries, args.warmup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
