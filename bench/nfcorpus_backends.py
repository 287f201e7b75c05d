"""NFCorpus nDCG@10 / recall@100 of both backends on the same corpus, queries and parser, until
bench/eval_nfcorpus.py can build a Xapian index itself (`indexer build --backend xapian`).

    .venv/bin/python bench/nfcorpus_backends.py [--work DIR] [--split dev] [MODE...]

Indexes (built once in WORK): the Whoosh one by the indexer, the Xapian one through its Writer
(bench/perf_xapian.py). Each query goes through SearchEngine (articles only, first 100).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import nfcorpus as nf  # noqa: E402
from bench.perf_xapian import build  # noqa: E402
from search.engine import SearchEngine  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", type=Path, default=nf.ROOT / "bench" / "out" / "nfcorpus-backends")
    p.add_argument("--split", default="dev")
    p.add_argument("modes", nargs="*", default=["none", "synonyms", "explode"])
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    xml, corpus = nf.write_corpus(nf.DATA, args.work)
    sources = [str(xml), *(str(nf.MESH / name) for name in nf.MESH_FILES)]
    if not (args.work / "whoosh" / "current").exists():
        from indexer.build import rebuild_index

        rebuild_index(sources, args.work / "whoosh")
    if not (args.work / "xapian" / "current").exists():
        print("xapian build", build(args.work / "xapian", sources), flush=True)
    texts, judged = nf.queries(nf.DATA), nf.qrels(nf.DATA, args.split)
    print("| backend | split | expansion | nDCG@10 | recall@100 | queries | errors | mean ms |")
    print("|---|---|---|---|---|---|---|---|")
    for mode in args.modes:
        for name in ("whoosh", "xapian"):
            run = nf.run(SearchEngine(args.work / name), corpus, texts, sorted(judged), mode)
            per_query = nf.scores(run.rankings, judged)
            ndcg, recall = nf.means(per_query)
            ms = 1000 * sum(run.seconds.values()) / max(1, len(run.seconds))
            print(
                f"| {name} | {args.split} | {mode} | {ndcg:.4f} | {recall:.4f} "
                f"| {len(per_query)} | {len(run.errors)} | {ms:.1f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
