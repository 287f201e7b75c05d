"""Relevance of the search engine on every collection of /work/shared/eval, per query shape,
against a plain BM25 run in the same process (nDCG@10, recall@100).

    nice -n 10 .venv/bin/python bench/evaluate.py [--collections nfcorpus,scifact,trec_ct_2021]
        [--splits dev] [--backend whoosh|xapian] [--expand synonyms] [--work DIR] [--dump]
        [--vectors [--cv-models bench/out/evalsets/ltr/folds]]

Each collection is indexed by the real indexer with the MeSH data (bench/evalsets.py; built
once, reused while newer than its inputs) and each query goes through the real SearchEngine
(the collection's record type only, first page of 100): TREC CT topics as patient descriptions
(`mode=patient`), the others as typed. With --vectors the index has the semantic vectors
(cached by bench/encode_evalsets.py) and the engine ranks as `rank=best` does (fusion by query
shape, the learned second stage; with --cv-models, the queries the shipped model was trained on
are ordered by the cross-validation's model that did not see them); without, lexically. The
reference is bench/plainbm25.py over the same documents' whole text. TREC CT rankings are
condensed (unjudged trials dropped) before scoring, as its README asks; gain = grade. A query
the engine refuses counts 0 and is listed under `errors`. The table goes to stdout and
WORK/report.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import evalsets  # noqa: E402
from bench.metrics import ndcg_at_k, recall_at_k  # noqa: E402
from bench.plainbm25 import PlainBM25  # noqa: E402
from search import querymodel  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.errors import InvalidRequest  # noqa: E402
from search.ltr import LearnedRanker  # noqa: E402
from search.models import SearchRequest  # noqa: E402

PAGE = 100
SAMPLE_SEED = 2016
HEADER = (
    "| collection | split | shape | queries | BM25 nDCG@10 | ours nDCG@10 | change "
    "| BM25 R@100 | ours R@100 | errors | ours ms |\n" + "|---" * 11 + "|"
)
Ranker = Callable[[str], list[str]]


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--collections", default=",".join(evalsets.COLLECTIONS))
    p.add_argument("--splits", default="", help="splits to run (default: every split but train")
    p.add_argument("--backend", default="whoosh", choices=("whoosh", "xapian"))
    p.add_argument("--expand", default="synonyms", choices=("none", "synonyms", "explode"))
    p.add_argument("--work", type=Path, default=evalsets.WORK, help="indexes, report")
    p.add_argument("--dump", action="store_true", help="per-query scores to WORK/per-query.tsv")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="MODULE.NAME=VALUE",
        help="change a constant of search/MODULE.py for this run, e.g. feedback.SHAPES=keywords"
        ",question, feedback.FEEDBACK_WEIGHT=0.3, concepts.FILLER_WEIGHT=0.2, "
        "eligibility.EXCLUDED_FACTOR=0.3 (a comma list sets a frozenset)",
    )
    p.add_argument(
        "--snippets",
        action="store_true",
        help="make snippets and spelling suggestions too (off: they change no ranking)",
    )
    p.add_argument(
        "--whole-stats",
        action="store_true",
        help="collection statistics over the whole index, not per record type (idf on Xapian)",
    )
    p.add_argument(
        "--sample", type=int, default=0, help="evaluate N queries of each split (seeded)"
    )
    p.add_argument(
        "--reuse", action="store_true", help="use a built index even if older than the code"
    )
    p.add_argument(
        "--cv-models",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --vectors: a query of a collection with DIR/<name>.json (query id -> model "
        "file, bench/train_ltr.py's folds) is ordered by the learned model it was held out of",
    )
    p.add_argument(
        "--vectors",
        action="store_true",
        help="index with the semantic vectors (from the cache of bench/encode_evalsets.py): "
        "queries ranked as rank=best ranks them (fusion, learned stage); else lexical only",
    )
    return p.parse_args(argv)


def apply_settings(settings: list[str]) -> list[str]:
    """Set constants of search modules (`feedback.FEEDBACK_WEIGHT=0.3`); the lines to log."""
    import importlib

    done = []
    for item in settings:
        name, _, raw = item.partition("=")
        module_name, _, attr = name.strip().rpartition(".")
        module = importlib.import_module(f"search.{module_name}")
        old = getattr(module, attr)  # AttributeError: a typo is no silent no-op
        value: object
        if isinstance(old, frozenset):
            value = frozenset(v for v in raw.split(",") if v)
        elif isinstance(old, bool):
            value = raw.lower() in ("1", "true", "yes")
        else:
            value = type(old)(raw)
        setattr(module, attr, value)
        done.append(f"{name} = {value!r} (was {old!r})")
    return done


def presentation_off() -> None:
    """No snippets or did-you-mean: they change no ranking and cost much of a search."""
    import search.whoosh.engine as whoosh_engine
    import search.xapian.engine as xapian_engine

    for module in (whoosh_engine, xapian_engine):
        module.make_snippet = lambda *args, **kwargs: ""  # type: ignore[assignment]
        module.suggest = lambda *args, **kwargs: None  # type: ignore[assignment]


def vector_cache() -> Path:
    from bench.encode_evalsets import CACHE

    return CACHE


def mode_for(es: evalsets.EvalSet) -> str:
    """How a collection's queries are searched: TREC CT topics are patient descriptions."""
    return "patient" if es.name.startswith("trec_ct") else ""


def condensed(ranking: list[str], judged: Mapping[str, int]) -> list[str]:
    return [d for d in ranking if d in judged]


def score(
    ranking: list[str], judged: Mapping[str, int], es: evalsets.EvalSet
) -> tuple[float, float]:
    if es.condensed:
        ranking = condensed(ranking, judged)
    return ndcg_at_k(ranking, judged, 10), recall_at_k(ranking, judged, PAGE)


class EngineRun:
    """Queries through SearchEngine.search, timing each and keeping the refusals."""

    def __init__(self, engine: SearchEngine, es: evalsets.EvalSet, ids: evalsets.Ids, **kw):  # noqa: ANN003
        self.engine, self.es, self.ids, self.kw = engine, es, ids, kw
        self.errors: dict[str, str] = {}
        self.seconds: list[float] = []
        self.held_out: dict[str, LearnedRanker] = {}  # query id -> the model it was held out of
        self.shipped = engine.learned

    def cross_validated(self, folder: Path | None) -> None:
        """Order each query listed in folder/<name>.json by its held-out fold's model."""
        listed = folder / f"{self.es.name}.json" if folder is not None else None
        if listed is None or not listed.exists() or self.engine.learned is None:
            return
        models: dict[str, LearnedRanker] = {}
        for qid, file in json.loads(listed.read_text(encoding="utf-8")).items():
            self.held_out[qid] = models.setdefault(file, LearnedRanker(folder / file))

    def __call__(self, qid: str, text: str) -> list[str]:
        if self.held_out:
            self.engine.learned = self.held_out.get(qid, self.shipped)
        kw = {k: v for k, v in self.kw.items() if v}  # (no mode: also runs on older code)
        req = SearchRequest(q=text, filters=self.es.filters, size=PAGE, **kw)
        started = time.perf_counter()
        try:
            hits = self.engine.search(req).hits
        except InvalidRequest as e:
            self.errors[qid] = str(e)
            hits = ()
        self.seconds.append(time.perf_counter() - started)
        return [self.ids.doc(h.id) for h in hits]


def evaluate(
    es: evalsets.EvalSet,
    split: str,
    engine_run: EngineRun,
    bm25: PlainBM25,
    dump: list[str],
    sample: int = 0,
) -> list[str]:
    """Table rows for one split: every shape, then all queries together."""
    texts = es.queries()
    judged = es.qrels(split)
    if sample and sample < len(judged):
        keep = random.Random(SAMPLE_SEED).sample(sorted(judged), sample)
        judged = {q: judged[q] for q in keep}
    per_shape: dict[str, list[tuple[float, float, float, float]]] = {}
    for qid in sorted(judged):
        text = texts[qid]
        base = score(bm25.search(text, PAGE), judged[qid], es)
        ours = score(engine_run(qid, text), judged[qid], es)
        kind = querymodel.shape(text)
        per_shape.setdefault(kind, []).append((*base, *ours))
        per_shape.setdefault("all", []).append((*base, *ours))
        dump.append(f"{es.name}\t{split}\t{kind}\t{qid}\t{base[0]:.4f}\t{ours[0]:.4f}\t{text}")
    errors = len(engine_run.errors)
    ms = 1000 * sum(engine_run.seconds) / max(1, len(engine_run.seconds))
    rows = []
    for kind in (*querymodel.SHAPES, "all"):
        rows_of = per_shape.get(kind)
        if not rows_of:
            continue
        n = len(rows_of)
        b, r_b, o, r_o = (sum(r[i] for r in rows_of) / n for i in range(4))
        change = f"{100 * (o - b) / b:+.1f}%" if b else "-"
        rows.append(
            f"| {es.name} | {split} | {kind} | {n} | {b:.4f} | {o:.4f} | {change} "
            f"| {r_b:.4f} | {r_o:.4f} | {errors if kind == 'all' else ''} "
            f"| {ms if kind == 'all' else 0:.0f} |"
        )
    for qid, error in list(engine_run.errors.items())[:5]:
        print(f"  refused {qid}: {error}", file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    started = time.perf_counter()
    lines = [f"# Relevance against plain BM25 ({time.strftime('%Y-%m-%d %H:%M')})", ""]
    ranked = "rank=best (vectors)" if args.vectors else "lexical (no vectors)"
    lines += [f"backend {args.backend}, expansion {args.expand}, {ranked}"]
    lines += [f"set {line}" for line in apply_settings(args.set)]
    if not args.snippets:
        presentation_off()
        lines.append("latency: ranking only (no snippets, no spelling suggestion)")
    lines += ["", HEADER]
    print("\n".join(lines), flush=True)
    dump: list[str] = []
    for name in [n.strip() for n in args.collections.split(",") if n.strip()]:
        es = evalsets.COLLECTIONS[name]
        splits = [s for s in args.splits.split(",") if s] or [
            s for s in es.splits if s != "train" or es.splits == ("train",)
        ]
        cache = vector_cache() if args.vectors else None
        index_dir, ids = evalsets.ensure_index(
            es, args.work, args.backend, reuse=args.reuse, vectors=cache
        )
        bm25 = PlainBM25(evalsets.plain_texts(es, work=args.work))
        options = {"per_type": False} if args.whole_stats else {}
        engine = SearchEngine(index_dir, **options)
        for split in [s for s in splits if s in es.splits]:
            run = EngineRun(engine, es, ids, expand=args.expand, mode=mode_for(es))
            run.cross_validated(args.cv_models)
            if run.held_out:
                lines.append(f"{es.name}: {len(run.held_out)} queries by held-out fold models")
            for row in evaluate(es, split, run, bm25, dump, args.sample):
                print(row, flush=True)
                lines.append(row)
    lines.append(f"\nrun time {time.perf_counter() - started:.0f} s")
    print(lines[-1])
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.dump:
        head = "collection\tsplit\tshape\tquery_id\tbm25\tours\tquery\n"
        (args.work / "per-query.tsv").write_text(head + "\n".join(dump) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
