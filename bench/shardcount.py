"""The counting of one shard, both ways, on the scale benchmark's queries (not in the test run):
16 ValueCountMatchSpy on an unscored match (what a shard server does without a count server)
against search/xapian/counting.py (what a count server does: one unscored match, NumPy over
the shard's arrays). CPU time of this process per query (p50 / p95 / mean), and a check that
both give the same total and value counts.

    nice -n 10 .venv/bin/python bench/shardcount.py /tmp/scale7/10x-xapian2 0

The queries are bench/scale.py's (the size's sample.json), parsed as the engine parses them
(without the MeSH expansion, which only adds alternatives), over every facet field with no
selection (the benchmark's searches select none).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import xapian  # noqa: E402

from bench.scale import WARMUP, draw, pct  # noqa: E402
from search import fields as f  # noqa: E402
from search.errors import SearchError  # noqa: E402
from search.syntax import QueryBuilder  # noqa: E402
from search.xapian.counting import Group, count  # noqa: E402
from search.xapian.matching import boolean  # noqa: E402
from search.xapian.query import Translator  # noqa: E402
from search.xapian.schema import FACET_SLOTS  # noqa: E402
from search.xapian.shardfacets import spied  # noqa: E402
from search.xapian.tables import Tables  # noqa: E402


def spy_counts(db: xapian.Database, query: xapian.Query) -> tuple[int, dict[str, Counter[str]]]:
    """The shard servers' way (search/xapian/shardfacets.py): a match spy per facet slot."""
    enquire = xapian.Enquire(db)
    enquire.set_weighting_scheme(xapian.BoolWeight())
    enquire.set_query(query)
    mset, counts = spied(db, enquire, list(FACET_SLOTS))
    return mset.get_matches_estimated(), counts


def stats(values: list[float]) -> dict[str, float]:
    return {
        "p50": pct(values, 50),
        "p95": pct(values, 95),
        "mean": round(statistics.mean(values), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("index", type=Path, help="a sharded index folder of bench/scale.py")
    parser.add_argument("shard", type=int, help="the shard to count on")
    args = parser.parse_args()
    path = args.index / "current" / "shards" / str(args.shard)
    db = xapian.Database(str(path))
    translator, builder = Translator(db), QueryBuilder()  # (prefixes: this shard's words)
    queries, _ = draw(args.index)
    parsed = []
    for q in queries[WARMUP:]:
        try:
            parsed.append((q, boolean(translator, builder.parse(q).query)))
        except SearchError:
            continue
    t, c = time.perf_counter(), time.process_time()
    tables = Tables(db)
    tables.warm()
    opened = {
        "open_s": round(time.perf_counter() - t, 1),
        "open_cpu_s": round(time.process_time() - c, 1),
    }
    group = [Group((), tuple(FACET_SLOTS))]
    spy_ms, table_ms, differ, matches = [], [], [], []
    for q, query in parsed:
        c = time.process_time()
        total, counts = spy_counts(db, query)
        spy_ms.append((time.process_time() - c) * 1000)
        c = time.process_time()
        found = count(db, tables, query, group)[0]
        table_ms.append((time.process_time() - c) * 1000)
        matches.append(total)
        if (found.total, found.counts) != (total, counts):
            differ.append(q)
    print(json.dumps({
        "shard": str(path), "documents": db.get_doccount(), "queries": len(parsed), **opened,
        "matches": stats(matches), "spies_cpu_ms": stats(spy_ms), "tables_cpu_ms": stats(table_ms),
        "differ": differ, "fields": len(FACET_SLOTS), "types": f.TYPES,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
