"""The learned second stage's training data: for each judged query of a collection, the fused
pool the engine hands to the model (search/ltr/ first_stage: the listing's first POOL records
fused by the setting of the query's shape, search/semantic/fusion.py SETTINGS, i.e. the
engine's `rank=best` order without the model and the dense joiners) with its feature rows, read
through the real indexer and engine (bench/eval_semantic.py's indexes, built with vectors), and
the listing's BM25 order. Saved per collection under WORK/ltr/<name>.npz so training can be repeated
without searching again. Used by bench/train_ltr.py.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import evalsets as ev  # noqa: E402
from bench.eval_semantic import ensure_index  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.errors import InvalidRequest  # noqa: E402
from search.ltr import pool_features  # noqa: E402
from search.ltr.features import FEATURES, read_query  # noqa: E402
from search.models import SearchRequest  # noqa: E402
from search.semantic.fusion import POOL  # noqa: E402
from search.store import linked_build  # noqa: E402

OUT = ev.WORK / "ltr"


@dataclass
class Pools:
    """Per query: the BM25 listing's first POOL (collection ids), the fused pool (ids, best
    first) and its feature rows; the seconds the features took (CPU, wall)."""

    name: str
    bm25: dict[str, list[str]] = field(default_factory=dict)
    pool: dict[str, list[str]] = field(default_factory=dict)
    x: dict[str, np.ndarray] = field(default_factory=dict)
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    refused: int = 0

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        qids = sorted(self.pool)
        meta = {
            "name": self.name,
            "features": list(FEATURES),
            "qids": qids,
            "bm25": [self.bm25[q] for q in qids],
            "pool": [self.pool[q] for q in qids],
            "cpu": self.cpu,
            "wall": self.wall,
            "refused": self.refused,
        }
        arrays = {f"x{i}": self.x[q] for i, q in enumerate(qids)}
        np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: Path) -> Pools:
        data = np.load(path)
        meta = json.loads(str(data["meta"]))
        if meta["features"] != list(FEATURES):
            raise SystemExit(f"{path} holds other features: collect it again (--recollect)")
        out = cls(meta["name"], cpu=meta["cpu"], wall=meta["wall"], refused=meta["refused"])
        for i, q in enumerate(meta["qids"]):
            out.bm25[q], out.pool[q], out.x[q] = meta["bm25"][i], meta["pool"][i], data[f"x{i}"]
        return out


def collect(name: str, qids: list[str]) -> Pools:
    """The pools of `qids` of collection `name`, through the engine's own reader."""
    es = ev.COLLECTIONS[name]
    index_dir, ids = ensure_index(name)
    engine = SearchEngine(index_dir)
    reader = engine.reader()
    build = linked_build(index_dir)
    assert engine.semantic is not None and build is not None
    queries = es.queries()
    out = Pools(name)
    for n, qid in enumerate(qids, 1):
        if n % 100 == 0:
            print(f"  {name}: {n:,}/{len(qids):,} queries", file=sys.stderr, flush=True)
        text = queries[qid]
        found = engine.semantic.query(build, text)
        assert found is not None, "the eval index has no vectors"
        seen: list = []
        capture = _capture(reader, text, *found, seen)
        req = SearchRequest(q=text, filters=es.filters, size=10)
        try:
            reader.search(req, rerank=capture)
        except InvalidRequest:
            out.refused += 1
        if not seen:
            out.bm25[qid], out.pool[qid] = [], []
            out.x[qid] = np.zeros((0, len(FEATURES)), dtype=np.float32)
            continue
        listed, pool, x, cpu, wall = seen[0]
        out.bm25[qid] = [ids.doc(i) for i in listed[:POOL]]
        out.pool[qid] = [ids.doc(listed[i]) for i in pool]
        out.x[qid] = x
        out.cpu.append(cpu)
        out.wall.append(wall)
    return out


def _capture(reader, text: str, vectors, qvec: np.ndarray, seen: list):  # noqa: ANN001, ANN202
    """A Rerank that keeps the listing, the fused pool and its features in `seen` (timed)."""

    def capture(listed: list[str], scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cpu, wall = time.process_time(), time.perf_counter()
        sims = vectors.similarity(qvec, listed[:POOL])
        pool, x = pool_features(reader.view(), read_query(text), listed, scores, sims)
        took = (time.process_time() - cpu, time.perf_counter() - wall)
        seen.append((list(listed), pool, x, *took))
        return np.arange(len(listed)), scores

    return capture


def judged_queries(name: str, nf_train: int) -> dict[str, dict[str, dict[str, int]]]:
    """split -> query id -> judgments, for the queries used (NFCorpus train: a seeded sample)."""
    es = ev.COLLECTIONS[name]
    out = {split: es.qrels(split) for split in es.splits}
    if name == "nfcorpus" and nf_train and len(out["train"]) > nf_train:
        keep = random.Random(17).sample(sorted(out["train"]), nf_train)
        out["train"] = {q: out["train"][q] for q in sorted(keep)}
    return out


def pools_for(name: str, nf_train: int, recollect: bool = False) -> Pools:
    path = OUT / f"{name}.npz"
    if path.exists() and not recollect:
        return Pools.load(path)
    qids = sorted({q for rel in judged_queries(name, nf_train).values() for q in rel})
    started = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    pools = collect(name, qids)
    print(
        f"{name}: {len(qids)} queries in {time.perf_counter() - started:.0f} s "
        f"({resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu:.0f} s CPU)",
        file=sys.stderr,
        flush=True,
    )
    pools.save(path)
    return pools
