"""`python -m indexer build|update|sync|status|shards|gather`: the operator's command line
(DESIGN.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from indexer import store
from indexer.errors import BuildFailed, IndexerError
from indexer.report import print_report, print_skips, progress_bar, status
from search.backend import BACKENDS, DEFAULT_BACKEND
from search.store import backend_name, current_build

DEFAULT_INDEX = Path(__file__).resolve().parent.parent / "index"
_CACHE_HELP = "folder of vectors encoded before, reused for the same texts (and added to)"


def _common(sub: argparse.ArgumentParser, backend_help: str) -> None:
    sub.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder")
    sub.add_argument("--lock-timeout", type=float, default=10.0, help="seconds to wait")
    sub.add_argument("--backend", choices=BACKENDS, help=backend_help)


def _sync_options(sync: argparse.ArgumentParser) -> None:
    from indexer.fetch import HttpSettings
    from indexer.sync import CTGOV_URL, MESH_URL, PUBMED_URL, SOURCES

    http = HttpSettings()
    add = sync.add_argument
    add("--source", action="append", choices=SOURCES, help="only these sources (repeatable)")
    add(
        "--since",
        default="",
        metavar="YYYY-MM-DD",
        help="CT.gov: studies updated since this day (default: last sync, else the data date)",
    )
    add(
        "--pubmed-after",
        default="",
        metavar="FILE",
        help="PubMed: the update files up to this one are in the index already",
    )
    add(
        "--mesh-year",
        type=int,
        default=0,
        metavar="YEAR",
        help="MeSH: the year the index holds (default: the year last applied)",
    )
    add("--ctgov-url", default=CTGOV_URL, help="ClinicalTrials.gov API v2 studies endpoint")
    add("--pubmed-url", default=PUBMED_URL, help="PubMed update files folder")
    add("--mesh-url", default=MESH_URL, help="MeSH XML files folder")
    add("--page-size", type=int, default=1000, help="CT.gov studies per page")
    add("--interval", type=float, default=http.interval, help="seconds between requests")
    add("--timeout", type=float, default=http.timeout, help="seconds before a request fails")
    add("--retries", type=int, default=http.retries, help="tries after a failed request")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m indexer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="full rebuild from files, folders or zips; atomic switch")
    _common(build, f"search engine that writes and serves the index (default: {DEFAULT_BACKEND})")
    build.add_argument(
        "--shards",
        type=int,
        default=1,
        metavar="N",
        help="split the index into N shards written by N processes (xapian; default 1)",
    )
    build.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="build only shard K of N (K from 0), to be gathered with `gather`",
    )
    build.add_argument("paths", nargs="+", metavar="PATH")
    build.add_argument(
        "--no-vectors",
        action="store_true",
        help="skip the trials' and articles' vectors (search then ranks by BM25 alone)",
    )
    build.add_argument("--vector-cache", type=Path, help=_CACHE_HELP)
    live = "the live index's own (recorded at build); another one is refused"
    update = sub.add_parser("update", help="add, replace and delete only what PATHs change")
    _common(update, live)
    update.add_argument("paths", nargs="+", metavar="PATH")
    update.add_argument("--vector-cache", type=Path, help=_CACHE_HELP)
    sync = sub.add_parser("sync", help="fetch and apply what changed upstream since last sync")
    _common(sync, live)
    _sync_options(sync)
    stat = sub.add_parser("status", help="what the index holds")
    stat.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder")
    stat.add_argument("--json", action="store_true", help="print JSON")
    shards = sub.add_parser("shards", help="the live shard databases, one path a line")
    shards.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder")
    gather = sub.add_parser("gather", help="gather `build --shard K/N` outputs into one index")
    gather.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder")
    gather.add_argument("--lock-timeout", type=float, default=10.0, help="seconds to wait")
    gather.add_argument("parts", nargs="+", metavar="PART_INDEX", help="index folders")
    return parser


def _shard_numbers(args: argparse.Namespace) -> tuple[int, int | None]:
    """(N, K) of --shards N / --shard K/N (usage errors for numbers that do not fit)."""
    if args.shard is None:
        if args.shards < 1:
            _parser().error("--shards must be at least 1")
        return args.shards, None
    k, _, n = args.shard.partition("/")
    if not (k.isdigit() and n.isdigit()) or not 0 <= int(k) < int(n):
        _parser().error(f"--shard {args.shard}: write K/N with K from 0 to N-1 (as 0/2)")
    if args.shards not in (1, int(n)):
        _parser().error(f"--shards {args.shards} and --shard {args.shard} disagree")
    return int(n), int(k)


def _check_backend(args: argparse.Namespace) -> None:
    """update and sync write with the live index's backend: another --backend is a usage error."""
    live = current_build(args.index)
    if args.backend is None or live is None or backend_name(live) == args.backend:
        return
    _parser().error(
        f"--backend {args.backend}: the index in {args.index} was built with "
        f"{backend_name(live)}, and {args.command} writes with the index's own backend; "
        f"leave out --backend, or rebuild with `build --backend {args.backend}`"
    )


def _update(args: argparse.Namespace) -> int:
    from indexer.update import describe, update_index

    with store.index_lock(args.index, args.lock_timeout), progress_bar() as progress:
        report = update_index(args.paths, args.index, progress, vector_cache=args.vector_cache)
    print_skips(report)
    print(describe(report))
    return 0


def _sync(args: argparse.Namespace) -> int:
    from indexer.fetch import HttpSettings
    from indexer.sync import SOURCES, SyncSettings, run_sync

    if args.page_size < 1 or args.retries < 0 or args.interval < 0 or args.timeout <= 0:
        _parser().error("--page-size and --timeout must be positive, --retries and --interval >= 0")
    http = HttpSettings(timeout=args.timeout, retries=args.retries, interval=args.interval)
    cfg = SyncSettings(
        ctgov_url=args.ctgov_url,
        pubmed_url=args.pubmed_url,
        mesh_url=args.mesh_url,
        page_size=args.page_size,
        http=http,
        since=args.since,
        pubmed_after=args.pubmed_after,
        mesh_year=args.mesh_year,
    )
    sources = [s for s in SOURCES if s in (args.source or SOURCES)]
    with store.index_lock(args.index, args.lock_timeout), progress_bar() as progress:
        run_sync(args.index, sources, cfg, lambda line: print(line, flush=True), progress)
    return 0


def _gather(args: argparse.Namespace) -> int:
    from indexer.shards import gather_shards

    with store.index_lock(args.index, args.lock_timeout):
        meta = gather_shards(args.parts, args.index)
    total = sum(meta["counts"].values())
    print(f"Gathered {meta['shards']} shards ({total:,} records) into {args.index}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "shards":
            from indexer.shards import live_databases

            for path in live_databases(args.index):
                print(path)
            return 0
        if args.command == "gather":
            store.check_writable(args.index)
            return _gather(args)
        if args.command == "status":
            info = status(args.index)
            print(json.dumps(info, indent=2) if args.json else info["text"])
            return 0 if info["built"] else 1
        if args.command in ("update", "sync"):
            _check_backend(args)
        store.check_writable(args.index)
        if args.command == "update":
            return _update(args)
        if args.command == "sync":
            return _sync(args)
        from indexer.build import rebuild_index

        shards, shard = _shard_numbers(args)
        with store.index_lock(args.index, args.lock_timeout), progress_bar() as progress:
            backend = args.backend or DEFAULT_BACKEND
            report = rebuild_index(
                args.paths,
                args.index,
                progress,
                backend=backend,
                shards=shards,
                shard=shard,
                vectors=not args.no_vectors,
                vector_cache=args.vector_cache,
            )
        print_report(report)
        return 0
    except BuildFailed as e:
        if e.report is not None:
            print_report(e.report) if args.command == "build" else print_skips(e.report)
        print(f"error: {e}", file=sys.stderr)
        return 1
    except IndexerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # disk full, permission denied while writing
        reason = e.strerror or str(e)
        where = f" ({e.filename})" if e.filename else ""
        print(
            f"error: cannot write the index: {reason}{where}; the live index is unchanged",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        if args.command == "sync":
            print("error: interrupted; the steps applied are recorded: rerun to resume",
                  file=sys.stderr)  # fmt: skip
        else:
            print("error: interrupted; the live index is unchanged", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
