"""The time the learned second stage (search/ltr/) adds to a search, and a check that the
engine's own `rank=best` page is the model's order of the fused pool:

    nice -n 10 .venv/bin/python bench/ltr_latency.py [--queries 200] [names...]

For a seeded sample of each collection's queries (bench/evalsets.py indexes with vectors,
built by bench/eval_semantic.py), the listing is searched once and its fused pool (the first
POOL records) handed to the stage: the features (search/ltr/features.py) and the model's
scores, by our NumPy walk of the trees and, where LightGBM is installed, by LightGBM on the same
rows, each timed in CPU (time.process_time) and wall time; for up to 10 queries of the shapes the
model orders (search/ltr SHAPES), the engine's own page is checked to be the model's order. A
first pass over the sample fills the caches a served index has warm (postings, id look-ups), the
second is measured. Prints ms p50 / p95 / max per collection with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import evalsets as ev  # noqa: E402
from bench.eval_semantic import ensure_index  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.ltr import LearnedRanker, pool_features  # noqa: E402
from search.ltr.features import read_query  # noqa: E402
from search.ltr.model import TreeModel  # noqa: E402
from search.models import SearchRequest  # noqa: E402
from search.semantic.fusion import POOL  # noqa: E402
from search.store import linked_build  # noqa: E402


def booster_of(model_path: Path):  # noqa: ANN201
    """LightGBM's own booster of the model, when bench/train_ltr.py saved it (else None)."""
    try:
        import lightgbm as lgb
    except ImportError:
        return None
    text = model_path.with_suffix(".lgb.txt")
    return lgb.Booster(model_file=str(text)) if text.exists() else None


def measure(name: str, n: int, model: TreeModel, booster) -> dict:  # noqa: ANN001
    es = ev.COLLECTIONS[name]
    index_dir, _ = ensure_index(name)
    engine = SearchEngine(index_dir)
    reader, build = engine.reader(), linked_build(index_dir)
    assert engine.semantic is not None and build is not None
    queries = es.queries()
    qids = sorted(q for split in es.splits for q in es.qrels(split))
    qids = sorted(random.Random(17).sample(qids, min(n, len(qids))))
    times: dict[str, list[tuple[float, float]]] = {"features": [], "numpy": [], "lightgbm": []}
    same = checked = 0
    for rounds in (1, 2):  # the first fills the caches; the second is measured
        for qid in qids:
            text = queries[qid]
            vectors, qvec = engine.semantic.query(build, text)
            got: list[list[str]] = []

            def stage(ids, scores, text=text, vectors=vectors, qvec=qvec, got=got, rounds=rounds):  # noqa: ANN001, ANN202
                sims = vectors.similarity(qvec, ids[:POOL])
                cpu, wall = time.process_time(), time.perf_counter()
                pool, x = pool_features(reader.view(), read_query(text), ids, scores, sims)
                took = {"features": (time.process_time() - cpu, time.perf_counter() - wall)}
                cpu, wall = time.process_time(), time.perf_counter()
                pred = model.predict(x)
                took["numpy"] = (time.process_time() - cpu, time.perf_counter() - wall)
                if booster is not None:
                    cpu, wall = time.process_time(), time.perf_counter()
                    booster.predict(x, num_threads=1)
                    took["lightgbm"] = (time.process_time() - cpu, time.perf_counter() - wall)
                if rounds == 2:
                    for k, v in took.items():
                        times[k].append(v)
                got.append([ids[i] for i in pool[np.lexsort((np.arange(len(pool)), -pred))]])
                return np.arange(len(ids)), scores

            req = SearchRequest(q=text, filters=es.filters, size=10)
            reader.search(req, rerank=stage)
            if rounds == 2 and checked < 10 and LearnedRanker.orders(text):
                # the product's page is this computation's order (for the shapes it orders)
                checked += 1
                page = engine.search(req)
                same += [h.id for h in page.hits] == (got[0][:10] if got else [])
    row: dict = {"queries": len(qids), "product_check": f"{same}/{checked}"}
    for k, v in times.items():
        if v:
            cpu, wall = np.array(v).T * 1000
            row[k] = {
                "cpu_ms_p50_p95_max": [
                    round(float(np.percentile(cpu, p)), 2) for p in (50, 95, 100)
                ],
                "wall_ms_p50_p95_max": [
                    round(float(np.percentile(wall, p)), 2) for p in (50, 95, 100)
                ],
            }
    row["load_average"] = [round(x, 1) for x in os.getloadavg()]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200, help="a seeded sample per collection")
    parser.add_argument("names", nargs="*", default=list(ev.COLLECTIONS))
    args = parser.parse_args(argv)
    model = TreeModel.load()
    booster = booster_of(Path(__file__).resolve().parent / "out" / "evalsets" / "ltr" / "model")
    for name in args.names:
        print(name, json.dumps(measure(name, args.queries, model, booster)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
