"""Smoke check of the peers of bench/peers.py on real records (not a pytest test).

    .venv/bin/python bench/peers_check.py [--limit 300] [--extra PATH ...] [--verbose]

Records: every record under tests/data through bench/corpus.peer_docs (trials, PubMed
articles, MeSH descriptors: about 90), topped up to --limit with the first records of the
--extra files (default: the PubMed sample under /work/shared/data, when present). Each peer is
built in a temporary folder from a generator, then runs the same queries: ten of each kind
(words OR, phrase, title-only, status filter, year filter), drawn with a fixed seed from the
records' own titles. It prints, per query kind, each peer's total, top 3 ids, a snippet and
the "type" and "year" facets, then the totals of every query side by side, and checks:

* totals of the OR queries are close across peers (they stem differently, so not equal);
* facets add up: the "type" counts sum to the total, no value counts more than the total, a
  status filter leaves only that status, a year filter only years in its range;
* the hits are consistent: min(10, total) ids that exist, one snippet each; a phrase never
  finds more than its words OR'ed, the title alone never more than title + body;
* facets=False / snippets=False give the same total and ids.

Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import combinations, islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import peer_docs  # noqa: E402
from bench.peers import PEERS, PeerResult, size_bytes  # noqa: E402

SHARED = Path("/work/shared/data/pubmed")
EXTRA = [
    SHARED / "updatefiles/pubmed21n1298_sample.xml",
    SHARED / "efetch/xizhou-pubMR_pubmed_result.xml",
]
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
COMMON = {"with", "from", "that", "this", "have", "when", "will", "your", "were", "their"}
KINDS = ("or", "phrase", "title", "status", "year")
CLOSE = 0.35  # OR totals close: (max - min) / max at most this, or at most 3 documents apart
MOSTLY = 0.8  # ... for at least this share of the OR queries (the stemmers differ)
MARK = re.compile(r"<(b|mark|strong)\b")
Query = dict[str, Any]


def load_docs(limit: int, extra: list[Path]) -> list[dict[str, Any]]:
    docs = list(peer_docs([str(ROOT / "tests" / "data")]))
    print(f"{len(docs)} records from tests/data", end="")
    for path in extra:
        if len(docs) < limit and path.exists():
            before = len(docs)
            docs += islice(peer_docs([str(path)]), limit - len(docs))
            print(f", {len(docs) - before} from {path}", end="")
    print(f": {len(docs)} records")
    return docs


def title_words(doc: dict[str, Any]) -> list[str | None]:
    """The title's words, None for a short or common word (kept so that adjacency shows)."""
    tokens = TOKEN.findall(doc.get("title") or "")
    return [w if len(w) >= 4 and w.lower() not in COMMON else None for w in tokens]


def draw_queries(
    docs: list[dict[str, Any]], per_kind: int, seed: int = 7
) -> dict[str, list[Query]]:
    """`per_kind` queries of each kind, from the records' titles (seeded)."""
    rng = random.Random(seed)
    out: dict[str, list[Query]] = {k: [] for k in KINDS}
    base = {"phrase": False, "field": None, "filters": {}}
    shuffled = docs[:]
    rng.shuffle(shuffled)
    for doc in shuffled * 3:
        raw = title_words(doc)
        pairs = [raw[i : i + 2] for i in range(len(raw) - 1) if None not in raw[i : i + 2]]
        words = [w for w in raw if w is not None]
        if not words:
            continue
        k = min(len(words), rng.choice((1, 2, 2, 3)))
        start = rng.randrange(0, len(words) - k + 1)
        chosen = words[start : start + k]
        status, year = doc["facets"].get("status"), doc.get("year")
        if len(out["phrase"]) < per_kind and pairs and rng.random() < 0.3:
            out["phrase"].append({**base, "words": rng.choice(pairs), "phrase": True})
        elif len(out["title"]) < per_kind and rng.random() < 0.3:
            out["title"].append({**base, "words": chosen[:1], "field": "title"})
        elif len(out["status"]) < per_kind and status and rng.random() < 0.5:
            out["status"].append({**base, "words": chosen, "filters": {"status": status}})
        elif len(out["year"]) < per_kind and doc["type"] == "article" and year:
            out["year"].append({**base, "words": chosen, "filters": {"year": (year - 2, year + 2)}})
        elif len(out["or"]) < per_kind:
            out["or"].append({**base, "words": chosen})
    return out


def describe(q: Query) -> str:
    text = " ".join(q["words"])
    text = f'"{text}"' if q["phrase"] else text
    text = f"title:{text}" if q["field"] else text
    return text + "".join(f" {k}={v}" for k, v in q["filters"].items())


def looser(q: Query) -> Query | None:
    """A query that must find at least what `q` finds, or None."""
    if q["phrase"]:
        return {**q, "phrase": False}
    if q["field"]:
        return {**q, "field": None}
    return None


def stream(docs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield from docs  # build() must accept a one-pass generator


class Checks:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.count = 0

    def expect(self, ok: bool, what: str) -> None:
        self.count += 1
        if not ok:
            self.failures.append(what)


def check_result(c: Checks, name: str, q: Query, r: PeerResult, ids: set[str]) -> None:
    where = f"{name} {describe(q)}:"
    c.expect(len(r.ids) == min(10, r.total), f"{where} {len(r.ids)} ids for total {r.total}")
    c.expect(set(r.ids) <= ids, f"{where} unknown ids {set(r.ids) - ids}")
    c.expect(len(r.snippets) == len(r.ids), f"{where} {len(r.snippets)} snippets")
    c.expect(
        set(r.facets) == {"type", "status", "phase", "journal", "mesh", "year"},
        f"{where} facet names {sorted(r.facets)}",
    )
    c.expect(sum(r.facets["type"].values()) == r.total, f"{where} type facet {r.facets['type']}")
    for facet, values in r.facets.items():
        c.expect(all(0 < n <= r.total for n in values.values()), f"{where} {facet} {values}")
        c.expect(len(values) <= 20, f"{where} {len(values)} {facet} values")
    for facet in ("status", "year", "journal"):  # one value per record at most
        c.expect(sum(r.facets[facet].values()) <= r.total, f"{where} {facet} sum > total")
    if "status" in q["filters"]:
        wanted = {q["filters"]["status"]: r.total} if r.total else {}
        c.expect(r.facets["status"] == wanted, f"{where} status facet {r.facets['status']}")
    if "year" in q["filters"]:
        lo, hi = q["filters"]["year"]
        years = r.facets["year"]
        c.expect(all(lo <= int(y) <= hi for y in years), f"{where} year facet {years}")
        c.expect(sum(years.values()) == r.total, f"{where} year facet sum {years}")


def facets_agree(a: dict[str, int], b: dict[str, int]) -> bool:
    """Same count for every value both list; a value only one lists ties at the other's cut."""
    if any(a[k] != b[k] for k in a.keys() & b.keys()):
        return False
    for one, other in ((a, b), (b, a)):
        cut = min(other.values(), default=0)
        if any(n > cut or len(other) < 20 for k, n in one.items() if k not in other):
            return False
    return True


def show(name: str, r: PeerResult) -> None:
    snippet = " ".join(next((s for s in r.snippets if MARK.search(s)), "").split())
    first = MARK.search(snippet)
    snippet = snippet[max(0, first.start() - 30) :][:120] if first else snippet[:120]
    print(f"  {name:13} total {r.total:4}  top3 {', '.join(r.ids[:3]) or '-'}")
    print(f"  {'':13} type {r.facets['type']}  year {dict(islice(r.facets['year'].items(), 5))}")
    print(f"  {'':13} snippet: {snippet!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--extra", type=Path, nargs="*", default=EXTRA)
    ap.add_argument("--per-kind", type=int, default=10)
    ap.add_argument("--verbose", action="store_true", help="details for every query")
    args = ap.parse_args()

    docs = load_docs(args.limit, args.extra)
    ids = {d["id"] for d in docs}
    queries = draw_queries(docs, args.per_kind)
    print("queries:", ", ".join(f"{len(v)} {k}" for k, v in queries.items()))
    print("peers:", ", ".join(PEERS))
    c = Checks()
    results: dict[str, dict[str, list[PeerResult]]] = {}
    with tempfile.TemporaryDirectory(prefix="peers-check-") as tmp:
        for name, cls in PEERS.items():
            path = Path(tmp) / name
            started = time.perf_counter()
            n = cls().build(stream(docs), path)
            built = time.perf_counter() - started
            c.expect(n == len(docs), f"{name} indexed {n} of {len(docs)}")
            peer = cls()
            peer.open(path)
            started = time.perf_counter()
            results[name] = {k: [peer.search(q) for q in qs] for k, qs in queries.items()}
            ms = (time.perf_counter() - started) * 1000 / sum(map(len, queries.values()))
            for kind, qs in queries.items():
                for q, r in zip(qs, results[name][kind], strict=True):
                    check_result(c, name, q, r, ids)
                    bare = peer.search(q, facets=False, snippets=False)
                    c.expect(
                        (bare.total, bare.ids, bare.snippets, bare.facets)
                        == (r.total, r.ids, (), {}),
                        f"{name} {describe(q)}: bare differs",
                    )
                    wider = looser(q)  # a phrase OR'ed, or the title query on title + body
                    if wider is not None:
                        n_wider = peer.search(wider, facets=False, snippets=False).total
                        c.expect(
                            r.total <= n_wider,
                            f"{name} {describe(q)}: {r.total} > {describe(wider)}: {n_wider}",
                        )
            peer.close()
            size = size_bytes(path) / 1e6
            print(f"{name}: {n} records, built in {built:.2f} s, {size:.2f} MB, {ms:.1f} ms/query")

    for kind, qs in queries.items():
        for i, q in enumerate(qs):
            if i == 0 or args.verbose:
                print(f"\n[{kind}] {describe(q)}")
                for name in PEERS:
                    show(name, results[name][kind][i])

    print("\ntotals per query (" + " / ".join(PEERS) + "):")
    far: list[str] = []
    for kind, qs in queries.items():
        for i, q in enumerate(qs):
            totals = [results[name][kind][i].total for name in PEERS]
            top = [set(results[name][kind][i].ids) for name in PEERS]
            common = len(set.intersection(*top)) if top else 0
            print(
                f"  {kind:6} {describe(q)[:60]:60} {' / '.join(map(str, totals)):>14}"
                f"  top10 shared {common}"
            )
            for a, b in combinations(PEERS, 2):  # the same matches: the same facet counts
                ra, rb = results[a][kind][i], results[b][kind][i]
                if ra.total == rb.total:
                    for facet in ra.facets:
                        c.expect(
                            facets_agree(ra.facets[facet], rb.facets[facet]),
                            f"{describe(q)}: {facet} facet {a} {ra.facets[facet]} {b} "
                            f"{rb.facets[facet]}",
                        )
            if kind == "or":
                lo, hi = min(totals), max(totals)
                if hi - lo > 3 and (hi - lo) / hi > CLOSE:
                    far.append(f"{describe(q)}: {totals}")
    n_or = len(queries["or"])
    print(f"\nOR totals close (within {CLOSE:.0%} or 3 records) for {n_or - len(far)} of {n_or}")
    for line in far:
        print("  not close:", line)
    c.expect(len(far) <= (1 - MOSTLY) * n_or, f"OR totals far apart for {len(far)} of {n_or}")
    sums = [sum(r.total for r in results[name]["or"]) for name in PEERS]
    print("OR totals summed:", " / ".join(map(str, sums)))
    c.expect(max(sums) - min(sums) <= CLOSE * max(sums), f"OR sums far apart: {sums}")
    print(f"\n{c.count} checks, {len(c.failures)} failed")
    for failure in c.failures[:40]:
        print("  FAIL", failure)
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
