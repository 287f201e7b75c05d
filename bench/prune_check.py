"""Every ranking pruned, no crash: run searches of an index (Xapian) in a child process, which
a segfault ends, and name the queries that crashed it (the run goes on after each).

Xapian 1.4.26 segfaults pruning an OP_MAX (a DisMax: a MeSH-expanded word) under OP_AND_MAYBE;
search/xapian/query.py sends no OP_AND_MAYBE, so every ranking prunes (get_mset's
check_at_least left at 0). `--and-maybe` translates AndMaybe and "m of n" as the OP_AND_MAYBE
forms of before, pruned too: the crash this avoids.

    nice -n 10 .venv/bin/python bench/prune_check.py --index /tmp/xbf --queries Q.json
    nice -n 10 .venv/bin/python bench/prune_check.py --index /tmp/xbf --and-maybe \\
        --text "Institute Alcohol Abuse Alcoholism"
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import xapian  # noqa: E402

from search import querytree as qt  # noqa: E402
from search.xapian.matching import matcher, some_of  # noqa: E402
from search.xapian.query import Translator, scaled  # noqa: E402

FORMS = ({}, {"page": 2}, {"size": 50}, {"sort": "newest"})  # as the result comparisons'


class AndMaybeTranslator(Translator):
    """The translation before: qt.AndMaybe as OP_AND_MAYBE, an "m of n" as an OP_AND_MAYBE of
    its match set (unscored) and its OR (tests/test_xapian_search.py compares the rankings with
    it; `old_forms` makes every Translator one). The originals are called by name, not through
    super(), so that the methods also serve patched onto Translator itself."""

    def node(self, node: qt.Node) -> xapian.Query:
        q = xapian.Query
        if isinstance(node, qt.AndMaybe):
            return q(q.OP_AND_MAYBE, self.node(node.required), self.node(node.optional))
        if isinstance(node, qt.And) and node.children:
            children = [self.node(c) for c in node.children]
            joined = children[0] if len(children) == 1 else q(q.OP_AND, children)
            return scaled(joined, node.boost)
        if isinstance(node, qt.Or) and some_of(node):
            children = [self.node(c) for c in node.children]
            subsets = [q(q.OP_AND, list(c)) for c in combinations(children, node.minimum)]
            joined = q(q.OP_AND_MAYBE, matcher(q(q.OP_OR, subsets)), q(q.OP_OR, children))
            return scaled(joined, node.boost)
        return _NODE(self, node)

    def __call__(self, node, kind=None, within=None, filtered=None):  # noqa: ANN001, ANN204
        return _CALL(self, node, kind, within)  # no AndMaybe joins the caller's filter


_NODE, _CALL = Translator.node, Translator.__call__


def old_forms() -> None:
    """Patch the translator to send qt.AndMaybe (and an "m of n") as OP_AND_MAYBE."""
    Translator.node = AndMaybeTranslator.node  # type: ignore[method-assign]
    Translator.__call__ = AndMaybeTranslator.__call__  # type: ignore[method-assign]


def child(index: Path, texts: list[str], and_maybe: bool) -> None:
    """Search each text in each form, printing its number before it starts."""
    if and_maybe:
        old_forms()
    from search.engine import SearchEngine
    from search.errors import InvalidRequest
    from search.models import SearchRequest

    engine = SearchEngine(index)
    for n, text in enumerate(texts):
        print(n, flush=True)
        for form in FORMS:
            try:
                engine.search(SearchRequest(q=text, **form))
            except InvalidRequest:
                pass


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--queries", type=Path, help="bench/warm_search.py's queries (measured)")
    p.add_argument("--text", action="append", default=[], help="a query (repeatable)")
    p.add_argument("--and-maybe", action="store_true", help="send OP_AND_MAYBE, as before")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.index, json.loads(args.child.read_text()), args.and_maybe)
        return 0
    texts = list(args.text)
    if args.queries:
        from bench.corpus import Query

        texts += [Query(**q).text for q in json.loads(args.queries.read_text())["measured"]]
    crashed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        status = run_all(args, texts, crashed, Path(tmp) / "texts.json")
    if status:
        return status
    print(f"{len(texts)} queries x {len(FORMS)} forms, {len(crashed)} crashed the process")
    return 1 if crashed else 0


def run_all(args: argparse.Namespace, texts: list[str], crashed: list[str], work: Path) -> int:
    """Run the texts in children, each started after the query that crashed the one before."""
    start = 0
    while start < len(texts):
        work.write_text(json.dumps(texts[start:]))
        command = [sys.executable, __file__, "--index", str(args.index), "--child", str(work)]
        run = subprocess.run(
            command + (["--and-maybe"] if args.and_maybe else []),
            capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        done = [int(line) for line in run.stdout.split()]
        if run.returncode == 0:
            break
        if not done or run.returncode > 0:
            print(run.stderr[-2000:], file=sys.stderr)
            return 1
        crashed.append(texts[start + done[-1]])
        print(f"crashed (signal {-run.returncode}): {crashed[-1]}", flush=True)
        start += done[-1] + 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
