"""Search latency with facets and snippets, over queries drawn from the index's own records.

    python bench/search_latency.py --index DIR [--queries 500] [--seed 7] [--expand synonyms]

Queries (seeded, reproducible): 1-4 words from trial and article titles, trial conditions and
MeSH headings; some as "phrases", some fielded (condition:, title:, status:, year:). Each query
runs through SearchEngine.search (the full result page: total, facets, snippets, suggestion),
once cold (fresh engine: caches empty) and once warm. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search import schema as f  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.models import SearchRequest  # noqa: E402

WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w.lower() not in {"the", "and", "with", "for"}]


def draw_queries(engine: SearchEngine, n: int, seed: int) -> list[str]:
    """Queries from real text in the index: titles, conditions, MeSH headings."""
    rng = random.Random(seed)
    st = engine.state()
    reader = st.searcher.reader()
    docnums = list(reader.all_doc_ids())
    rng.shuffle(docnums)
    queries: list[str] = []
    for docnum in docnums:
        if len(queries) >= n:
            break
        stored = reader.stored_fields(docnum)
        record = f.unpack_record(stored[f.RECORD])
        kind = stored[f.TYPE]
        if kind == f.TRIAL and record["conditions"] and rng.random() < 0.4:
            source = rng.choice(record["conditions"])
        elif kind == f.MESH_TYPE:
            source = record["heading"]
        else:
            source = stored.get(f.TITLE, "").split("\n")[0]
        words = _words(source)
        if not words:
            continue
        k = min(len(words), rng.choice((1, 2, 2, 3, 3, 4)))
        start = rng.randrange(0, len(words) - k + 1)
        q = " ".join(words[start : start + k])
        roll = rng.random()
        if roll < 0.1 and k >= 2:
            q = f'"{q}"'
        elif roll < 0.15 and kind == f.TRIAL and record["conditions"]:
            q = f'condition:"{record["conditions"][0]}"'
        elif roll < 0.2:
            q = f"title:{words[start]}"
        elif roll < 0.25 and kind == f.TRIAL:
            q = f"{q} status:{record['overall_status'].lower()}"
        elif roll < 0.3 and kind == f.ARTICLE and record["pub_year"]:
            q = f"{q} year:{record['pub_year'] - 2}..{record['pub_year'] + 2}"
        queries.append(q)
    return queries


def run(engine: SearchEngine, queries: list[str], expand: str) -> list[float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        engine.search(SearchRequest(q=q, expand=expand))
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    return f"{statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", required=True, type=Path)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--expand", default="synonyms")
    args = parser.parse_args()
    queries = draw_queries(SearchEngine(args.index), args.queries, args.seed)
    cold_engine = SearchEngine(args.index)
    cold = run(cold_engine, queries, args.expand)
    warm = run(cold_engine, queries, args.expand)
    status = cold_engine.status()
    print(f"Index {args.index}: {status['counts']}; {len(queries)} queries, expand={args.expand}")
    print()
    print("| pass | median ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    print(f"| cold (first run of each query, empty caches) | {summary(cold)} |")
    print(f"| warm (second run) | {summary(warm)} |")
    print()
    print("Examples:", "; ".join(queries[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
