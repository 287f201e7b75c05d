"""Trains the learned second stage (search/ltr/) and reports it, nDCG@10 through the real
indexer and engine (bench/ltr_pools.py reads each query's fused pool and its features):

    nice -n 10 .venv/bin/python bench/encode_evalsets.py     # vectors into the cache, once
    nice -n 10 .venv/bin/python bench/train_ltr.py [--nf-train 1000] [--folds 5]

One LambdaMART model (LightGBM) over every collection together: NFCorpus train (a seeded
sample, its queries weighted 0.03: WEIGHTS), SciFact train and TREC CT 2021, each query's pool
fused by its shape's setting as the product fuses it. Reported, never on queries a model was
fitted to: NFCorpus dev (held out) by the model of all the training queries, which is the one
written to search/ltr/model.json; SciFact and TREC CT by query-grouped k-fold
cross-validation (each fold scored by a model fitted to NFCorpus train and the other folds).
Beside it, in the same process: the engine's BM25 listing (rank=bm25), its fusion with the
vectors (the first stage) and the product's order (the model for the shapes it orders, the
fusion else). TREC CT is scored on condensed rankings (unjudged trials dropped) and trained on
its judged trials only. Also the time the stage adds per query (features, the model by our NumPy
walk and by LightGBM), CPU and wall, and a check that the NumPy walk gives LightGBM's scores.
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
from bench.ltr_pools import OUT, judged_queries, pools_for  # noqa: E402
from bench.metrics import ndcg_at_k  # noqa: E402
from search import querymodel  # noqa: E402
from search.ltr import SHAPES  # noqa: E402
from search.ltr.features import FEATURES  # noqa: E402
from search.ltr.model import MODEL_FILE, TreeModel, from_lightgbm_dump  # noqa: E402

PARAMS = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "label_gain": [0.0, 1.0, 2.0],  # gain = grade, as bench/metrics.py scores
    "lambdarank_truncation_level": 20,
    "num_leaves": 15,
    "max_depth": 5,  # 200 trees of depth <= 5 walk as fast as 100 unlimited ones
    "learning_rate": 0.1,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": 17,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,  # the machine is shared: OpenMP threads spin under load
    "verbose": -1,
}
ROUNDS = 200  # trees (100: SciFact 0.7533 with NFCorpus train weighted 0.1, 200: 0.7548)
# collection -> weight of its queries in training (1 else): NFCorpus train's 1,000 mostly
# keyword topics, weighted 1, pulled the model away from claims (SciFact 5-fold 0.7434 at 1,
# 0.7503 at 0.3, 0.7548 at 0.1, 0.7587 at 0.03; 200 trees of depth 5 from 0.1 on)
WEIGHTS: dict[str, float] = {"nfcorpus": 0.03}
SHAPE = FEATURES.index("query_shape")
ORDERED = sorted(querymodel.SHAPES.index(s) for s in SHAPES)  # the shapes the model orders


class Data:
    """Every judged query's pool (rows, labels) and judgments, by collection."""

    def __init__(self, nf_train: int, recollect: bool, shapes: list[int] | None = None) -> None:
        self.shapes = shapes  # the query shapes trained on (None: all)
        self.pools = {n: pools_for(n, nf_train, recollect) for n in ev.COLLECTIONS}
        self.qrels: dict[str, dict[str, dict[str, int]]] = {}  # name/split -> qid -> rel
        for name in ev.COLLECTIONS:
            for split, rel in judged_queries(name, nf_train).items():
                self.qrels[f"{name}/{split}"] = rel

    def rows(self, key: str, qids: list[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Training rows of `qids` of `key` (name/split): features, labels, group sizes."""
        name = key.split("/")[0]
        condensed = ev.COLLECTIONS[name].condensed
        pools, rel = self.pools[name], self.qrels[key]
        xs, ys, groups = [], [], []
        for q in qids:
            labels = np.array([max(0, rel[q].get(d, 0)) for d in pools.pool[q]], dtype=np.int64)
            keep = np.array([d in rel[q] for d in pools.pool[q]], dtype=bool)
            if not condensed:
                keep[:] = True
            if not keep.any() or not labels[keep].any():
                continue
            if self.shapes is not None and int(pools.x[q][0, SHAPE]) not in self.shapes:
                continue
            xs.append(pools.x[q][keep])
            ys.append(labels[keep])
            groups.append(int(keep.sum()))
        if not xs:
            return np.zeros((0, len(FEATURES)), np.float32), np.zeros(0, np.int64), []
        return np.concatenate(xs), np.concatenate(ys), groups

    def ndcg(self, key: str, qids: list[str], model=None) -> dict[str, float]:  # noqa: ANN001
        """Mean nDCG@10 over `qids` of the BM25 listing, the fused pool (each shape's fusion
        without the dense joiners), the model's order of every query, and the product's: the
        model's order for the shapes it orders (search/ltr SHAPES), the fused pool's else."""
        name = key.split("/")[0]
        condensed = ev.COLLECTIONS[name].condensed
        pools, rel = self.pools[name], self.qrels[key]
        out: dict[str, list[float]] = {"bm25": [], "fused": [], "ltr": [], "product": []}
        for q in qids:
            pool = pools.pool[q]
            ltr = pool
            if model is not None and pool:
                pred = model.predict(pools.x[q])
                ltr = [pool[i] for i in np.lexsort((np.arange(len(pool)), -pred))]
            product = ltr if len(pool) and int(pools.x[q][0, SHAPE]) in ORDERED else pool
            ranked = {"bm25": pools.bm25[q], "fused": pool, "ltr": ltr, "product": product}
            for label, ranking in ranked.items():
                if condensed:
                    ranking = [d for d in ranking if d in rel[q]]
                out[label].append(ndcg_at_k(ranking, rel[q]))
        return {k: float(np.mean(v)) if v else 0.0 for k, v in out.items()}


def fit(data: Data, parts: list[tuple[str, list[str]]], rounds: int = ROUNDS):  # noqa: ANN201
    import lightgbm as lgb

    xs, ys, groups = zip(*(data.rows(key, qids) for key, qids in parts), strict=True)
    x, y = np.concatenate(xs), np.concatenate(ys)
    # each collection's queries weighted (WEIGHTS; 1 else), every row of a query alike
    weights = [WEIGHTS.get(key.split("/")[0], 1.0) for key, _ in parts]
    weight = np.concatenate([np.full(len(y), w) for y, w in zip(ys, weights, strict=True)])
    train = lgb.Dataset(
        x, y, weight=weight, group=[g for gs in groups for g in gs], feature_name=list(FEATURES)
    )
    return lgb.train(PARAMS, train, num_boost_round=rounds)


def folds(qids: list[str], k: int) -> list[list[str]]:
    shuffled = sorted(qids)
    random.Random(17).shuffle(shuffled)
    return [sorted(shuffled[i::k]) for i in range(k)]


def timings(data: Data, model: TreeModel, booster) -> dict:  # noqa: ANN001
    """ms p50/p95 per query (CPU, wall): the features (as collected), the model."""
    per = {"numpy": ([], []), "lightgbm": ([], [])}
    for pools in data.pools.values():
        for x in pools.x.values():
            if not len(x):
                continue
            for label, run in (("numpy", model.predict), ("lightgbm", booster.predict)):
                cpu, wall = time.process_time(), time.perf_counter()
                run(x)
                per[label][0].append(time.process_time() - cpu)
                per[label][1].append(time.perf_counter() - wall)
    cpu = [c for p in data.pools.values() for c in p.cpu]
    wall = [w for p in data.pools.values() for w in p.wall]
    per["features"] = (cpu, wall)

    def ms(v: list[float]) -> list[float]:
        return [round(1000 * float(np.percentile(v, p)), 2) for p in (50, 95)]

    return {k: {"cpu_p50_p95": ms(c), "wall_p50_p95": ms(w)} for k, (c, w) in per.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nf-train", type=int, default=1000, help="NFCorpus train sample")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--recollect", action="store_true", help="search the pools again")
    parser.add_argument("--model", type=Path, default=MODEL_FILE)
    parser.add_argument("--out", type=Path, default=OUT / "report.json")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="trees")
    parser.add_argument(
        "--folds-dir", type=Path, default=OUT / "folds", help="the cross-validation's models"
    )
    parser.add_argument("--rate", type=float, default=PARAMS["learning_rate"])
    parser.add_argument("--leaves", type=int, default=PARAMS["num_leaves"])
    parser.add_argument("--depth", type=int, default=PARAMS["max_depth"], help="of a tree")
    parser.add_argument(
        "--train-shapes", default="", help="train on these query shapes only (default: all)"
    )
    parser.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="NAME=W",
        help="weight of a collection's queries in training, e.g. nfcorpus=0.3",
    )
    args = parser.parse_args(argv)
    WEIGHTS.update({k: float(v) for k, _, v in (w.partition("=") for w in args.weight)})
    PARAMS.update(learning_rate=args.rate, num_leaves=args.leaves, max_depth=args.depth)
    shapes = [querymodel.SHAPES.index(s) for s in args.train_shapes.split(",") if s] or None
    data = Data(args.nf_train, args.recollect, shapes)
    nf_train = ("nfcorpus/train", sorted(data.qrels["nfcorpus/train"]))
    others = ["scifact/train", "trec_ct_2021/test"]
    report: dict = {"params": PARAMS, "rounds": args.rounds, "folds": args.folds}
    report["train_shapes"] = args.train_shapes or "all"
    report["weights"] = WEIGHTS
    # cross-validation of the others: each fold scored by a model fitted without it (the
    # fold models kept under WORK/ltr/folds/ for bench/evaluate.py --cv-models)
    parts_of = {k: folds(sorted(data.qrels[k]), args.folds) for k in others}
    totals = {k: {"bm25": 0.0, "fused": 0.0, "ltr": 0.0, "product": 0.0} for k in others}
    args.folds_dir.mkdir(parents=True, exist_ok=True)
    for i in range(args.folds):
        parts = [nf_train] + [
            (k, [q for j, f in enumerate(parts_of[k]) if j != i for q in f]) for k in others
        ]
        booster = fit(data, parts, args.rounds)
        dump = from_lightgbm_dump(booster.dump_model(), FEATURES)
        (args.folds_dir / f"fold{i}.json").write_text(json.dumps(dump), encoding="utf-8")
        for key in others:
            scored = data.ndcg(key, parts_of[key][i], booster)
            for label in totals[key]:
                totals[key][label] += scored[label] * len(parts_of[key][i])
    for key in others:
        n = sum(len(f) for f in parts_of[key])
        report[key] = {"queries": n, **{k: round(v / n, 4) for k, v in totals[key].items()}}
        print(key, json.dumps(report[key]), flush=True)
        held_out = {q: f"fold{i}.json" for i, f in enumerate(parts_of[key]) for q in f}
        name = key.split("/")[0]
        (args.folds_dir / f"{name}.json").write_text(json.dumps(held_out), encoding="utf-8")
    # the shipped model: every training query; NFCorpus dev held out
    booster = fit(data, [nf_train] + [(k, sorted(data.qrels[k])) for k in others], args.rounds)
    booster.save_model(str(OUT / "model.lgb.txt"))  # LightGBM's own, for bench/ltr_latency.py
    dump = from_lightgbm_dump(booster.dump_model(), FEATURES)
    args.model.write_text(json.dumps(dump, separators=(",", ":")) + "\n", encoding="utf-8")
    model = TreeModel.load(args.model)
    dev = sorted(data.qrels["nfcorpus/dev"])
    report["nfcorpus/dev"] = {"queries": len(dev), **data.ndcg("nfcorpus/dev", dev, model)}
    print("nfcorpus/dev", json.dumps(report["nfcorpus/dev"]), flush=True)
    x = np.concatenate([x for p in data.pools.values() for x in p.x.values() if len(x)])
    gap = float(np.max(np.abs(model.predict(x) - booster.predict(x))))
    report["numpy_vs_lightgbm_max_abs_diff"] = gap
    report["model_bytes"] = args.model.stat().st_size
    report["ms"] = timings(data, model, booster)
    report["load_average"] = os.getloadavg()
    report["refused"] = {n: p.refused for n, p in data.pools.items()}
    importance = booster.feature_importance("gain")
    report["gain_by_feature"] = {
        f: round(float(g), 1)
        for f, g in sorted(zip(FEATURES, importance, strict=True), key=lambda t: -t[1])
    }
    print(json.dumps({k: report[k] for k in ("ms", "model_bytes", "refused")}), flush=True)
    print(f"numpy walk vs LightGBM: max |diff| {gap:.2e}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
