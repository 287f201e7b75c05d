"""`python -m indexer build|status`: the operator's command line (contract in DESIGN.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from indexer import store
from indexer.errors import BuildFailed, IndexerError
from indexer.report import print_report, progress_bar, status

DEFAULT_INDEX = Path(__file__).resolve().parent.parent / "index"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m indexer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="full rebuild from files, folders or zips; atomic switch")
    build.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder")
    build.add_argument("--lock-timeout", type=float, default=10.0, help="seconds to wait")
    build.add_argument("paths", nargs="+", metavar="PATH")
    stat = sub.add_parser("status", help="what the index holds")
    stat.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder")
    stat.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "status":
            info = status(args.index)
            print(json.dumps(info, indent=2) if args.json else info["text"])
            return 0 if info["built"] else 1
        from indexer.build import rebuild_index

        store.check_writable(args.index)
        with store.index_lock(args.index, args.lock_timeout), progress_bar() as progress:
            report = rebuild_index(args.paths, args.index, progress)
        print_report(report)
        return 0
    except BuildFailed as e:
        print_report(e.report)
        print(f"error: {e}", file=sys.stderr)
        return 1
    except IndexerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # disk full, permission denied while writing
        reason = e.strerror or str(e)
        print(
            f"error: cannot write the index ({reason}); the live index is unchanged",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; the live index is unchanged", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
