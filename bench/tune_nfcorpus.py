"""Ranking configurations and their grid search on a fixed sample of NFCorpus train queries.

A Config is every tunable constant of the ranking: the title's section weight (index time),
BM25F b and k1 and the coordination exponent (engine arguments), and the MeSH expansion constants
(module-level in search/expansion.py, patched here for the run). The search is coordinate
descent: the BM25 grid, then the expansion grid, then the title weight (a rebuild each).
Runs go through the real SearchEngine; snippets and spelling suggestions are switched off while
tuning (they do not change the hits, and are most of a search's time).
"""

from __future__ import annotations

import itertools
import multiprocessing
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from bench import nfcorpus as nf
from search import expansion, scoring
from search import fields as schema
from search.engine import SearchEngine
from search.whoosh import engine as engine_module
from search.whoosh import listing as listing_module
from search.whoosh import query

SAMPLE_SIZE = 600
SAMPLE_SEED = 2016  # NFCorpus' year: the sample is fixed across runs
GRID_B = (0.3, 0.5, 0.75, 0.9)
GRID_K1 = (0.9, 1.2, 1.6)
GRID_COORDINATION = (0.0, 0.5, 1.0)  # exponent p of (matched/total)^p (engine.py)
GRID_SYNONYM = (0.2, 0.4, 0.7)  # SYNONYM_BOOST and TEXT_SYNONYM_BOOST
GRID_MAX_SYNONYMS = (2, 4)
GRID_MIN_SINGLE_WORD = (4, 6, 99)  # 99: no single-word phrase is looked up
GRID_TITLE = (1.5, 3.0, 5.0)  # relative to summary 1.0
EXPANSION_CONSTANTS = {
    "synonym_boost": "SYNONYM_BOOST",
    "text_synonym_boost": "TEXT_SYNONYM_BOOST",
    "max_synonyms": "MAX_SYNONYMS",
    "min_single_word": "MIN_SINGLE_WORD",
}


@dataclass(frozen=True)
class Config:
    title: float
    b: float
    k1: float
    coordination: float
    synonym_boost: float
    text_synonym_boost: float
    max_synonyms: int
    min_single_word: int
    per_type: int = 1  # 0: collection statistics over the whole index (both backends)

    @classmethod
    def current(cls) -> Config:
        """The values the code holds now."""
        return cls(
            title=schema.SECTION_WEIGHTS["title"],
            b=scoring.BM25_B,
            k1=scoring.BM25_K1,
            coordination=query.COORDINATION,
            **{k: getattr(expansion, v) for k, v in EXPANSION_CONSTANTS.items()},
        )

    def weights(self) -> dict[str, float]:
        return {**schema.SECTION_WEIGHTS, "title": self.title}

    def engine_key(self) -> tuple[float, float, float, int]:
        return (self.b, self.k1, self.coordination, self.per_type)

    def apply_expansion(self) -> None:
        for name, constant in EXPANSION_CONSTANTS.items():
            setattr(expansion, constant, getattr(self, name))

    def with_overrides(self, pairs: Iterable[str]) -> Config:
        """NAME=VALUE pairs (field names, or the expansion constants' own names)."""
        by_constant = {v.lower(): k for k, v in EXPANSION_CONSTANTS.items()}
        types = {f.name: f.type for f in fields(self)}
        changes: dict[str, float | int] = {}
        for pair in pairs:
            name, _, value = pair.partition("=")
            key = by_constant.get(name.strip().lower(), name.strip().lower())
            if key not in types or not value:
                raise SystemExit(f"error: --set {pair}: names are {', '.join(types)}")
            changes[key] = int(value) if types[key] in (int, "int") else float(value)
        return replace(self, **changes)

    def describe(self) -> str:
        return ", ".join(f"{k}={v:g}" for k, v in asdict(self).items())


# --------------------------------------------------------------------------- workers

_CTX: dict = {}  # set before the pool forks: texts, corpus, fast
_ENGINES: dict[tuple, SearchEngine] = {}


# (module, name): snippets are made in search/whoosh/listing.py, suggestions in engine.py
_PRESENTATION = {
    (listing_module, "make_snippet"): listing_module.make_snippet,
    (engine_module, "suggest"): engine_module.suggest,
}
_OFF = {
    (listing_module, "make_snippet"): lambda *args, **kwargs: "",
    (engine_module, "suggest"): lambda *args, **kwargs: None,
}


def presentation(on: bool) -> None:
    """Switch snippets and spelling suggestions on or off (they do not change the ranking)."""
    for (module, name), function in (_PRESENTATION if on else _OFF).items():
        setattr(module, name, function)


def _engine(index_dir: str, config: Config) -> SearchEngine:
    """This process's engine for the config's b, k1 and coordination (one at a time: each
    holds its own searcher and bitsets, a few hundred MB)."""
    key = (index_dir, *config.engine_key())
    if key not in _ENGINES:
        for old in _ENGINES.values():
            if old.backend_name() == "whoosh":
                old.reader().state().searcher.close()
        _ENGINES.clear()
        options: dict = {"b": config.b, "k1": config.k1, "per_type": bool(config.per_type)}
        if SearchEngine(index_dir).backend_name() == "whoosh":
            options["coordination"] = config.coordination
        elif config.coordination:
            raise SystemExit("Only the Whoosh backend has a coordination exponent.")
        _ENGINES[key] = SearchEngine(index_dir, **options)
    return _ENGINES[key]


def _run_chunk(task: tuple[Config, str, str, list[str]]) -> nf.Run:
    config, mode, index_dir, ids = task
    presentation(not _CTX["fast"])
    engine = _engine(index_dir, config)
    config.apply_expansion()
    return nf.run(engine, _CTX["corpus"], _CTX["texts"], ids, mode)


class Runner:
    """Evaluates configs on a query set, several searches in parallel (processes)."""

    def __init__(
        self,
        texts,  # noqa: ANN001
        corpus,  # noqa: ANN001
        work: Path,
        data: Path,
        mesh: Path,
        jobs: int,
        fast: bool,
        backend: str = "whoosh",
    ) -> None:
        _CTX.update(texts=texts, corpus=corpus, fast=fast)
        self.work, self.data, self.mesh, self.backend = work, data, mesh, backend
        self.jobs = max(1, jobs)
        self.pool = multiprocessing.get_context("fork").Pool(self.jobs) if self.jobs > 1 else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()

    def index(self, config: Config) -> str:
        return str(nf.ensure_index(self.work, self.data, self.mesh, config.weights(), self.backend))

    def runs(self, jobs: list[tuple[Config, str]], ids: list[str]) -> list[nf.Run]:
        """One merged Run per (config, mode), the queries split into chunks across workers."""
        n = self.jobs if self.pool else 1
        chunks = [ids[i::n] for i in range(n)]
        tasks = [(c, m, self.index(c), chunk) for c, m in jobs for chunk in chunks]
        if self.pool:
            parts = list(self.pool.imap(_run_chunk, tasks, chunksize=1))
        else:
            parts = list(map(_run_chunk, tasks))
        out = []
        for i in range(len(jobs)):
            merged = nf.Run({}, {}, {})
            for part in parts[i * n : (i + 1) * n]:
                merged.rankings.update(part.rankings)
                merged.seconds.update(part.seconds)
                merged.errors.update(part.errors)
            out.append(merged)
        return out


# ------------------------------------------------------------------------------ tune


def sample(judged: dict[str, dict[str, int]], size: int = SAMPLE_SIZE) -> list[str]:
    ids = sorted(q for q, rel in judged.items() if any(g >= 1 for g in rel.values()))
    return sorted(random.Random(SAMPLE_SEED).sample(ids, min(size, len(ids))))


Log = Callable[[str], None]
Score = tuple[float, float]  # nDCG@10, recall@100


class Tuner:
    """Coordinate descent over the grids, each (config, mode) evaluated once per run. A stage
    moves away from its incumbent only for a gain of at least MIN_GAIN nDCG@10 (600 queries:
    smaller differences are noise)."""

    MIN_GAIN = 0.001

    def __init__(
        self, runner: Runner, judged: dict[str, dict[str, int]], ids: list[str], log: Log
    ) -> None:
        self.runner, self.ids, self.log = runner, ids, log
        self.judged = {q: judged[q] for q in ids}
        self.cache: dict[tuple[Config, str], Score] = {}

    def scores(self, configs: list[Config], mode: str) -> list[Score]:
        todo = [c for c in dict.fromkeys(configs) if (c, mode) not in self.cache]
        for config, run in zip(
            todo, self.runner.runs([(c, mode) for c in todo], self.ids), strict=True
        ):
            self.cache[(config, mode)] = nf.means(nf.scores(run.rankings, self.judged))
        return [self.cache[(c, mode)] for c in configs]

    def stage(self, name: str, incumbent: Config, configs: list[Config], mode: str) -> Config:
        started = time.perf_counter()
        configs = list(dict.fromkeys([incumbent, *configs]))
        results = sorted(
            zip(self.scores(configs, mode), configs, strict=True), key=lambda r: -r[0][0]
        )
        base = self.cache[(incumbent, mode)][0]
        best = results[0][1] if results[0][0][0] >= base + self.MIN_GAIN else incumbent
        self.log(
            f"\n{name} ({len(configs)} configs, expansion {mode}, "
            f"{time.perf_counter() - started:.0f} s): nDCG@10 recall@100 (* chosen, = kept)"
        )
        shown = results[:4] + [r for r in results[4:-1] if r[1] in (incumbent, best)]
        shown += results[-1:] if len(results) > 4 else []
        for (ndcg, recall), config in shown:
            mark = "*" if config == best else ("=" if config == incumbent else " ")
            self.log(f" {mark}{ndcg:.4f} {recall:.4f}  {config.describe()}")
        return best

    def tune(self, start: Config) -> Config:
        """BM25 (expansion none), then expansion (synonyms), coordination again under
        expansion, then the title weight (b and k1 again if it moved)."""
        best = self.stage(
            "1. b x k1 x coordination",
            start,
            [
                replace(start, b=b, k1=k1, coordination=c)
                for b, k1, c in itertools.product(GRID_B, GRID_K1, GRID_COORDINATION)
            ],
            "none",
        )
        best = self.stage(
            "2. TEXT_SYNONYM_BOOST x MAX_SYNONYMS x MIN_SINGLE_WORD",
            best,
            [
                replace(best, text_synonym_boost=t, max_synonyms=m, min_single_word=w)
                for t, m, w in itertools.product(
                    GRID_SYNONYM, GRID_MAX_SYNONYMS, GRID_MIN_SINGLE_WORD
                )
            ],
            "synonyms",
        )
        best = self.stage(
            "3. SYNONYM_BOOST",
            best,
            [replace(best, synonym_boost=s) for s in GRID_SYNONYM],
            "synonyms",
        )
        best = self.stage(
            "3b. coordination under expansion",
            best,
            [replace(best, coordination=c) for c in GRID_COORDINATION],
            "synonyms",
        )
        for t in GRID_TITLE:  # build the indexes first, one at a time, in this process
            self.runner.index(replace(best, title=t))
        title = best.title
        best = self.stage(
            "4. title weight", best, [replace(best, title=t) for t in GRID_TITLE], "synonyms"
        )
        if best.title != title:
            best = self.stage(
                "5. b and k1 again at that title weight",
                best,
                [replace(best, b=b) for b in GRID_B] + [replace(best, k1=k1) for k1 in GRID_K1],
                "synonyms",
            )
        return best


def log_to(lines: list[str]) -> Log:
    def log(text: str) -> None:
        lines.append(text)
        print(text, flush=True)

    return log
