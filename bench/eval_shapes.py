"""K and the RRF weight per query shape (search/querymodel.py: keywords, question or claim,
description), chosen on train data only, through the real indexer and engine (the pools of
bench/eval_semantic.py, dense joiners included):

    nice -n 10 .venv/bin/python bench/eval_shapes.py [--train-queries 400] [--out FILE]

For each shape the (K, weight) of the grid with the best mean nDCG@10 over that shape's train
queries of every collection together is chosen: NFCorpus train (a seeded sample), SciFact
train and TREC CT 2021. Reported: NFCorpus dev with the settings chosen on all of them (the
product's settings); SciFact and TREC CT by 2-fold cross-validation (each half scored with the
settings chosen on NFCorpus train and the other halves). Each figure with the dense joiners
(`dense`), without (`pool`) and with or without as chosen per shape on train (`chosen`, the
product's), beside BM25 and the single setting K 20, weight 1 (RRF, with and without joiners).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import evalsets as ev  # noqa: E402
from bench.eval_semantic import GRID, Pools, halves  # noqa: E402
from search import querymodel  # noqa: E402
from search.semantic.fusion import RRF, SEMANTIC_WEIGHT, ZSCORE, K  # noqa: E402

# (method, K, weight): RRF's grid, then fusion by standardized scores (K unused)
METHODS = [(RRF, k, w) for k, w in GRID] + [
    (ZSCORE, 0, w) for w in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
]

Part = tuple[Pools, dict[str, dict[str, int]], list[str]]  # (pools, judgments, query ids)
Setting = tuple[str, float, float, bool]  # (method, K, weight, dense joiners)
Settings = dict[str, Setting]


def shape_of(pools: Pools, qid: str) -> str:
    return querymodel.shape(pools.text[qid])


def per_shape_best(parts: list[Part], dense: bool | None) -> Settings:
    """The (method, K, weight, dense) of each query shape with the best mean nDCG@10 over its
    train queries of every part together (`dense` None: with the joiners or without, as
    chosen)."""
    options = (False, True) if dense is None else (dense,)
    grid = [(m, k, w, d) for m, k, w in METHODS for d in options]
    out: Settings = {}
    for kind in querymodel.SHAPES:
        chosen = [
            (p, qrels, [q for q in qids if shape_of(p, q) == kind]) for p, qrels, qids in parts
        ]
        if not any(qs for _, _, qs in chosen):
            continue

        def total(setting: Setting, chosen=chosen) -> float:
            method, k, w, joined = setting
            return sum(
                sum(p.scores(qrels, qs, k, w, joined, method)) for p, qrels, qs in chosen if qs
            )

        out[kind] = max(grid, key=total)
    return out


def scored(part: Part, settings: Settings | None) -> dict[str, float]:
    """nDCG@10 of each query of a part: BM25 (settings None) or fused by its shape's setting."""
    pools, qrels, qids = part
    out = {}
    for qid in qids:
        fallback = (RRF, K, SEMANTIC_WEIGHT, False)
        method, k, w, dense = (
            (RRF, None, 0.0, False)
            if settings is None
            else settings.get(shape_of(pools, qid), fallback)
        )
        out[qid] = pools.scores(qrels, [qid], k, w, dense, method)[0]
    return out


def by_shape(loaded: dict[str, tuple[Pools, dict[str, str]]], train_queries: int) -> dict:
    """K and the weight per shape, chosen on train data only (see the module's docstring)."""
    train: list[Part] = []
    reported: dict[str, list[Part]] = {}  # collection -> its reported parts
    folds: list[tuple[list[Part], list[Part]]] = [([], []), ([], [])]  # (train, test) per fold
    for name, (pools, _) in loaded.items():
        if name == "nfcorpus":
            tr, dev = pools.es.qrels("train"), pools.es.qrels("dev")
            tq = sorted(random.Random(17).sample(sorted(tr), min(train_queries, len(tr))))
            train.append((pools, tr, tq))
            for fold in folds:
                fold[0].append((pools, tr, tq))
            reported[name] = [(pools, dev, sorted(dev))]
        else:
            qrels = pools.es.qrels(pools.es.splits[0])
            a, b = halves(sorted(pools.pool))
            train.append((pools, qrels, sorted(pools.pool)))
            folds[0][0].append((pools, qrels, b))
            folds[0][1].append((pools, qrels, a))
            folds[1][0].append((pools, qrels, a))
            folds[1][1].append((pools, qrels, b))
            reported[name] = []
    result: dict = {"settings": {}, "folds": [], "collections": {}}
    runs: dict[str, dict[str, dict[str, float]]] = {name: {} for name in reported}
    for dense, tag in ((False, "pool"), (True, "dense"), (None, "chosen")):
        chosen = per_shape_best(train, dense)
        result["settings"][tag] = chosen
        for part in (p for parts in reported.values() for p in parts):  # NFCorpus dev
            runs[part[0].es.name].setdefault(tag, {}).update(scored(part, chosen))
        for fold_train, fold_test in folds:
            fold_chosen = per_shape_best(fold_train, dense)
            result["folds"].append({tag: fold_chosen})
            for part in fold_test:
                runs[part[0].es.name].setdefault(tag, {}).update(scored(part, fold_chosen))
    fixed = {kind: (RRF, K, SEMANTIC_WEIGHT, False) for kind in querymodel.SHAPES}
    fixed_dense = {kind: (RRF, K, SEMANTIC_WEIGHT, True) for kind in querymodel.SHAPES}
    for name, (pools, _) in loaded.items():
        qrels = reported[name][0][1] if reported[name] else pools.es.qrels(pools.es.splits[0])
        qids = sorted(qrels) if reported[name] else sorted(pools.pool)
        part = (pools, qrels, qids)
        runs[name]["bm25"] = scored(part, None)
        runs[name][f"k{K}_w{SEMANTIC_WEIGHT}"] = scored(part, fixed)
        runs[name][f"k{K}_w{SEMANTIC_WEIGHT}_dense"] = scored(part, fixed_dense)
        row: dict = {"queries": len(qids)}
        for tag, per_query in runs[name].items():
            row[tag] = round(float(np.mean([per_query[q] for q in qids])), 4)
            for kind in querymodel.SHAPES:
                of = [per_query[q] for q in qids if shape_of(pools, q) == kind]
                if of:
                    row[f"{tag}/{kind} ({len(of)})"] = round(float(np.mean(of)), 4)
        result["collections"][name] = row
    return result


def load(names: list[str], train_queries: int) -> dict[str, tuple[Pools, dict[str, str]]]:
    loaded = {}
    for name in names:
        pools = Pools(name)
        queries = pools.es.queries()
        if name == "nfcorpus":
            train, dev = pools.es.qrels("train"), pools.es.qrels("dev")
            tq = random.Random(17).sample(sorted(train), min(train_queries, len(train)))
            qids = sorted(tq) + sorted(dev)
        else:
            qids = sorted(pools.es.qrels(pools.es.splits[0]))
        pools.load({q: queries[q] for q in qids})
        loaded[name] = (pools, queries)
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-queries", type=int, default=400, help="NFCorpus train sample")
    parser.add_argument("--out", type=Path, default=ev.WORK / "eval_shapes.json")
    parser.add_argument("names", nargs="*", default=list(ev.COLLECTIONS))
    args = parser.parse_args(argv)
    loaded = load(args.names, args.train_queries)
    result = by_shape(loaded, args.train_queries)
    for name, (pools, _) in loaded.items():
        result["collections"][name]["refused"] = pools.errors
        result["collections"][name]["ms_p50_p95"] = {
            k: [round(1000 * float(np.percentile(v, p)), 1) for p in (50, 95)]
            for k, v in pools.seconds.items()
        }
    print(json.dumps(result, indent=1), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
