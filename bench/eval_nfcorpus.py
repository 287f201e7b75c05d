"""Relevance of the search engine on BEIR NFCorpus: nDCG@10 and recall@100 per expansion mode.

    python bench/eval_nfcorpus.py [--split dev|train|test] [--expand none,synonyms,explode]
                                  [--backend whoosh,xapian] [--tune] [--work DIR]
                                  [--set NAME=VALUE ...]

The corpus is converted to PubMed XML and indexed with the MeSH data by the real indexer (the
index is reused while it is newer than its inputs and was built with the same section weights);
each query goes through the real SearchEngine (articles only, first page of 100). Scores are
averaged over every judged query with a relevant document (a query that finds nothing scores
0). The table is printed and written to WORK/report.md. --tune grid-searches the ranking
constants on a fixed sample of 600 train queries (bench/tune_nfcorpus.py), then reports the
split with the current and the tuned values. --backend evaluates each backend named (the same
corpus, queries and parser; one index per backend; whoosh alone by default, as --tune uses).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import nfcorpus as nf  # noqa: E402
from bench import tune_nfcorpus as tn  # noqa: E402
from search.backend import BACKENDS  # noqa: E402
from search.models import EXPANSIONS  # noqa: E402

DEFAULT_WORK = nf.ROOT / "bench" / "out" / "nfcorpus"
HEADER = (
    "| config | backend | split | expansion | nDCG@10 | recall@100 | queries | no hits "
    "| nDCG@10 answered | errors | mean latency ms |\n" + "|---" * 11 + "|"
)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--split", default="dev", help="qrels/<split>.tsv to evaluate (dev)")
    p.add_argument("--expand", default=",".join(EXPANSIONS), help="modes, comma-separated")
    p.add_argument("--backend", default="whoosh", help="backends, comma-separated (whoosh)")
    p.add_argument("--tune", action="store_true", help="grid search on a train sample first")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK, help="XML, indexes, report")
    p.add_argument("--data", type=Path, default=nf.DATA, help="the NFCorpus folder")
    p.add_argument("--mesh", type=Path, default=nf.MESH, help="the MeSH data folder")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="evaluate with a changed constant: b, k1, coordination, title, "
        "SYNONYM_BOOST, TEXT_SYNONYM_BOOST, MAX_SYNONYMS, MIN_SINGLE_WORD, per_type (0: "
        "statistics over the whole index)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="parallel search processes for --tune (2)",
    )
    p.add_argument(
        "--dump",
        action="store_true",
        help="also write per-query scores (TSV) and TREC run files to WORK",
    )
    args = p.parse_args(argv)
    args.modes = [m.strip() for m in args.expand.split(",") if m.strip()]
    unknown = set(args.modes) - set(EXPANSIONS)
    if unknown or not args.modes:
        p.error(f"--expand takes {', '.join(EXPANSIONS)}")
    args.backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    if set(args.backends) - set(BACKENDS) or not args.backends:
        p.error(f"--backend takes {', '.join(BACKENDS)}")
    return args


class Table:
    """Markdown rows of metrics per (config, split, mode); optionally the per-query data."""

    def __init__(self, texts: dict[str, str], dump: Path | None) -> None:
        self.texts, self.dump = texts, dump
        self.per_query: list[str] = []

    def rows(
        self,
        name: str,
        split: str,
        runner: tn.Runner,
        config: tn.Config,
        modes: list[str],
        judged: dict[str, dict[str, int]],
        ids: list[str] | None = None,
    ) -> str:
        backend = runner.backend
        ids = ids or sorted(judged)
        wanted = {q: judged[q] for q in ids}
        rows = []
        runs = runner.runs([(config, mode) for mode in modes], ids)
        for mode, run in zip(modes, runs, strict=True):
            per_query = nf.scores(run.rankings, wanted)
            ndcg, recall = nf.means(per_query)
            answered = {q: s for q, s in per_query.items() if run.rankings.get(q)}
            latency = 1000 * sum(run.seconds.values()) / max(1, len(run.seconds))
            rows.append(
                f"| {name} | {backend} | {split} | {mode} | {ndcg:.4f} | {recall:.4f} "
                f"| {len(per_query)} "
                f"| {len(per_query) - len(answered)} | {nf.means(answered)[0]:.4f} "
                f"| {len(run.errors)} | {latency:.1f} |"
            )
            for qid, error in list(run.errors.items())[:3]:
                print(f"  {mode} {qid}: {error}", file=sys.stderr)
            if self.dump:
                label = name if backend == "whoosh" else f"{name}-{backend}"
                self._dump(label, split, mode, run, per_query)
        return "\n".join(rows)

    def _dump(self, name: str, split: str, mode: str, run: nf.Run, per_query) -> None:  # noqa: ANN001
        self.per_query += [
            f"{name}\t{split}\t{mode}\t{q}\t{s[0]:.4f}\t{s[1]:.4f}\t{len(run.rankings[q])}"
            f"\t{self.texts[q]}"
            for q, s in per_query.items()
        ]
        runs = self.dump / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        with (runs / f"{split}-{name}-{mode}.trec").open("w", encoding="utf-8") as fh:
            for q in per_query:
                ranking = run.rankings[q]
                for rank, doc in enumerate(ranking, 1):
                    fh.write(f"{q} Q0 {doc} {rank} {len(ranking) - rank + 1} {name}-{mode}\n")

    def write(self) -> None:
        if self.dump and self.per_query:
            head = "config\tsplit\texpansion\tquery_id\tndcg10\trecall100\thits\tquery\n"
            path = self.dump / "per-query.tsv"
            path.write_text(head + "\n".join(self.per_query) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    started = time.perf_counter()
    work = args.work.resolve()
    _, corpus = nf.write_corpus(args.data, work)
    texts = nf.queries(args.data)
    judged = nf.qrels(args.data, args.split)
    current = tn.Config.current()
    config = current.with_overrides(args.set)
    name = "current" if config == current else "set"
    lines: list[str] = [f"# NFCorpus relevance ({time.strftime('%Y-%m-%d %H:%M')})", ""]
    log = tn.log_to(lines)
    table = Table(texts, work if args.dump else None)
    nf.ensure_index(work, args.data, args.mesh, config.weights(), args.backends[0])
    configs = [(name, config)]
    if args.tune:
        train = nf.qrels(args.data, "train")
        ids = tn.sample(train)
        log(
            f"tuning on {len(ids)} train queries (seed {tn.SAMPLE_SEED}), {args.jobs} processes,"
            f" from {config.describe()}"
        )
        runner = tn.Runner(texts, corpus, work, args.data, args.mesh, args.jobs, fast=True)
        try:
            best = tn.Tuner(runner, train, ids, log).tune(config)
            log(f"\nbest on train: {best.describe()}")
            if best == config:
                log(f"(the {name} values: nothing to change)")
            else:
                configs.append(("tuned", best))
            log(f"\nTrain sample (latency: ranking only, no snippets, {args.jobs} processes):\n")
            log(HEADER)
            for n, c in configs:
                log(table.rows(n, f"train-{len(ids)}", runner, c, args.modes, train, ids))
        finally:
            runner.close()
    log("")
    for n, c in configs:
        log(f"{n}: {c.describe()}")
    log("")
    log(HEADER)
    for backend in args.backends:
        runner = tn.Runner(
            texts, corpus, work, args.data, args.mesh, jobs=1, fast=False, backend=backend
        )
        for n, c in configs:
            log(table.rows(n, args.split, runner, c, args.modes, judged))
    log(f"\nrun time {time.perf_counter() - started:.0f} s")
    (work / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    table.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
