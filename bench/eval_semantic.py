"""nDCG@10 of BM25 and of BM25 fused with the semantic first stage, on every collection of
/work/shared/eval, through the real indexer and engine (bench/evalsets.py):

    nice -n 10 .venv/bin/python bench/encode_evalsets.py        # vectors into the cache
    nice -n 10 .venv/bin/python bench/eval_semantic.py [--train-queries N] [--out FILE]
    nice -n 10 .venv/bin/python bench/eval_shapes.py                  # K, weight per query shape

Each collection is indexed with vectors (WORK/<name>/whoosh-vectors, the texts found in the
cache). For each query the engine's BM25 listing is read once (its first POOL records, the
pool the fusion re-orders: search/semantic/fusion.py) and the query encoded once; every
(K, weight) of the grid is then scored from them. K and the weight are chosen on train data
only: NFCorpus train (reported on dev), and by 2-fold cross-validation on SciFact train and TREC
CT 2021 (each half reported with the setting chosen on the other half). TREC CT is scored on
condensed rankings (unjudged trials dropped). The product's own `rank=best` listing is checked
against this computation on a few queries.

The backend also hands over the dense joiners (search/semantic/fusion.py: those of the DENSE
records nearest the query in the whole build that its listing holds beyond the pool); each
ranking can be scored with them (`dense`) or without. bench/eval_shapes.py chooses K and the
weight per query shape from the same pools.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import evalsets as ev  # noqa: E402
from bench.encode_evalsets import CACHE  # noqa: E402
from bench.metrics import ndcg_at_k  # noqa: E402
from indexer import store  # noqa: E402
from indexer.build import rebuild_index  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.errors import InvalidRequest  # noqa: E402
from search.models import SearchRequest  # noqa: E402
from search.semantic import fusion  # noqa: E402
from search.semantic.fusion import DENSE, POOL, RRF, SEMANTIC_WEIGHT, K, rrf, zscores  # noqa: E402
from search.semantic.model import shared_encoder  # noqa: E402
from search.semantic.vectors import Vectors  # noqa: E402
from search.store import current_build  # noqa: E402

GRID = [(k, w) for k in (5, 10, 20, 40, 60, 100) for w in (0.5, 0.75, 1.0, 1.5, 2.0)]


def ensure_index(name: str) -> tuple[Path, ev.Ids]:
    """The collection's index with vectors (built when missing)."""
    paths, ids = ev.sources(ev.COLLECTIONS[name])
    index_dir = ev.WORK / name / "whoosh-vectors"
    if current_build(index_dir) is None:
        index_dir.mkdir(parents=True, exist_ok=True)
        with store.index_lock(index_dir, timeout=600):
            rebuild_index([str(p) for p in paths], index_dir, vectors=True, vector_cache=CACHE)
    return index_dir, ids


class Pools:
    """Each query's BM25 pool (collection ids, best first) and the cosine of each member."""

    def __init__(self, name: str) -> None:
        self.es = ev.COLLECTIONS[name]
        index_dir, self.ids = ensure_index(name)
        self.engine = SearchEngine(index_dir)
        self.vectors = Vectors.load(current_build(index_dir))
        assert self.vectors is not None, f"{index_dir} has no vectors"
        self.encoder = shared_encoder()
        self.pool: dict[str, list[str]] = {}  # the listing's first records, then the joiners
        self.listed: dict[str, int] = {}  # how many of them are the listing's
        self.joiners: dict[str, np.ndarray] = {}  # the positions of the dense joiners
        self.bm25: dict[str, np.ndarray] = {}  # the BM25 scores handed over (NaN: a joiner)
        self.text: dict[str, str] = {}
        self.errors = 0  # queries refused (400): scored 0 by both rankings
        self.sims: dict[str, np.ndarray] = {}
        self.seconds: dict[str, list[float]] = {
            "bm25+dense": [], "dense": [], "encode": [], "fuse": []
        }  # fmt: skip

    def request(self, text: str) -> SearchRequest:
        return SearchRequest(q=text, filters=self.es.filters, size=10)

    def load(self, queries: dict[str, str]) -> None:
        reader = self.engine.reader()
        for n, (qid, text) in enumerate(queries.items(), 1):
            if n % 100 == 0:
                print(f"  {n:,}/{len(queries):,} queries", file=sys.stderr, flush=True)
            self.text[qid] = text
            started = time.perf_counter()
            qvec = self.encoder.encode([text])[0]
            self.seconds["encode"].append(time.perf_counter() - started)
            capture = Capture(self.vectors, qvec)
            started = time.perf_counter()
            try:
                reader.search(self.request(text), rerank=capture)
            except InvalidRequest:  # pasted text read as syntax (issue #17): nothing listed
                self.errors += 1
            self.seconds["bm25+dense"].append(time.perf_counter() - started)
            self.seconds["dense"].append(capture.dense_seconds)
            ids, joiners = capture.ids, capture.fusion.joiners(capture.ids)
            head = ids[:POOL] + [ids[i] for i in joiners]
            started = time.perf_counter()
            self.sims[qid] = self.vectors.similarity(qvec, head)
            rrf(len(ids), self.sims[qid], POOL, K, SEMANTIC_WEIGHT, joiners)
            self.seconds["fuse"].append(time.perf_counter() - started)
            self.pool[qid] = [self.ids.doc(i) for i in ids]
            self.joiners[qid] = joiners
            self.listed[qid] = capture.listed
            self.bm25[qid] = capture.bm25

    def ranking(
        self, qid: str, k: float | None, weight: float, dense: bool = False, method: str = RRF
    ) -> list[str]:
        """BM25's (k None) or the fused ranking of the query's pool (with its dense joiners
        or without; by ranks or, `method` zscore, by scores: search/semantic/fusion.py)."""
        pool, listed = self.pool[qid], self.listed[qid]
        if not dense:
            pool = pool[:listed]
        if k is None or not pool:
            return pool
        joiners = self.joiners[qid] if dense else None
        sims = self.sims[qid] if dense else self.sims[qid][: min(POOL, listed)]
        if method == RRF:
            order, _ = rrf(len(pool), sims, POOL, k, weight, joiners)
        else:
            order, _ = zscores(self.bm25[qid][: len(pool)], sims, POOL, weight, joiners)
        return [pool[i] for i in order]

    def scores(self, qrels, qids, k, weight, dense=False, method=RRF) -> list[float]:  # noqa: ANN001
        out = []
        for qid in qids:
            ranking = self.ranking(qid, k, weight, dense, method)
            if self.es.condensed:
                ranking = [d for d in ranking if d in qrels[qid]]
            out.append(ndcg_at_k(ranking, qrels[qid]))
        return out

    def ndcg(self, qrels, qids: list[str], k, weight, dense: bool = False) -> float:  # noqa: ANN001
        out = self.scores(qrels, qids, k, weight, dense)
        return float(np.mean(out)) if out else 0.0

    def best(self, qrels, qids) -> tuple[float, float]:  # noqa: ANN001
        return max(GRID, key=lambda kw: self.ndcg(qrels, qids, *kw))

    def check_product(self, qids: list[str], queries: dict[str, str]) -> int:
        """How many of `qids` the engine's rank=best lists in this computation's order."""
        same = 0
        for qid in qids:
            method, k, weight, joined = fusion.setting(queries[qid])
            ours = self.ranking(qid, k, weight, joined and DENSE > 0, method)[:10]
            try:
                page = self.engine.search(self.request(queries[qid]))
            except InvalidRequest:
                same += not ours
                continue
            same += [self.ids.doc(h.id) for h in page.hits] == ours
        return same


class Capture:
    """A Rerank that keeps what the backend hands over (the listing's first records and the
    dense joiners) and orders nothing; it offers the DENSE nearest records as the product's
    does (search/semantic/fusion.py Fusion.dense)."""

    def __init__(self, vectors: Vectors, qvec: np.ndarray) -> None:
        self.fusion = fusion.Fusion(vectors, qvec, K, SEMANTIC_WEIGHT, DENSE)
        self.ids: list[str] = []
        self.bm25 = np.zeros(0)
        self.listed = 0
        self.dense_seconds = 0.0

    def dense(self) -> list[str]:
        started = time.process_time()
        out = self.fusion.dense()
        self.dense_seconds = time.process_time() - started
        return out

    def __call__(self, ids: list[str], bm25: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.ids, self.listed = list(ids), int((~np.isnan(bm25)).sum())
        self.bm25 = np.asarray(bm25, dtype=np.float64).copy()
        return np.arange(len(ids)), np.nan_to_num(bm25)


def halves(qids: list[str]) -> tuple[list[str], list[str]]:
    shuffled = sorted(qids)
    random.Random(17).shuffle(shuffled)
    return shuffled[::2], shuffled[1::2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-queries", type=int, default=400, help="NFCorpus train sample")
    parser.add_argument(
        "--max-queries", type=int, default=0, help="a seeded sample of the others' queries"
    )
    parser.add_argument("--out", type=Path, default=ev.WORK / "eval_semantic.json")
    parser.add_argument("names", nargs="*", default=list(ev.COLLECTIONS))
    args = parser.parse_args(argv)
    results: dict = {}
    for name in args.names:
        pools = Pools(name)
        queries = pools.es.queries()
        row: dict = {}
        if name == "nfcorpus":
            train, dev = pools.es.qrels("train"), pools.es.qrels("dev")
            tq = sorted(train)
            tq = random.Random(17).sample(tq, min(args.train_queries, len(tq)))
            pools.load({q: queries[q] for q in tq + sorted(dev)})
            k, w = pools.best(train, tq)
            row = {
                "tuned_on": f"{len(tq)} train queries",
                "k": k,
                "weight": w,
                "queries": len(dev),
                "bm25": pools.ndcg(dev, sorted(dev), None, 0),
                "fused": pools.ndcg(dev, sorted(dev), k, w),
                f"fused_k{K}_w{SEMANTIC_WEIGHT}": pools.ndcg(dev, sorted(dev), K, SEMANTIC_WEIGHT),
            }
            sample = sorted(dev)[:5]
        else:
            split = pools.es.splits[0]
            qrels = pools.es.qrels(split)
            qids = sorted(qrels)
            if args.max_queries and len(qids) > args.max_queries:
                qids = sorted(random.Random(17).sample(qids, args.max_queries))
            pools.load({q: queries[q] for q in qids})
            a, b = halves(qids)
            ka, kb = pools.best(qrels, b), pools.best(qrels, a)  # for a: tuned on b
            fused = (pools.ndcg(qrels, a, *ka) * len(a) + pools.ndcg(qrels, b, *kb) * len(b)) / len(
                qids
            )
            row = {
                "tuned_on": "the other half (2-fold)",
                "k_weight_per_half": [ka, kb],
                "queries": len(qids),
                "bm25": pools.ndcg(qrels, qids, None, 0),
                "fused": fused,
                f"fused_k{K}_w{SEMANTIC_WEIGHT}": pools.ndcg(qrels, qids, K, SEMANTIC_WEIGHT),
            }
            sample = qids[:5]
        row["refused"] = pools.errors
        row["product_check"] = f"{pools.check_product(sample, queries)}/{len(sample)}"
        row["ms_p50_p95"] = {
            k: [round(1000 * float(np.percentile(v, p)), 1) for p in (50, 95)]
            for k, v in pools.seconds.items()
        }
        row["gain"] = round(row["fused"] / row["bm25"] - 1, 4) if row["bm25"] else None
        results[name] = row
        print(name, json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
