"""`python -m web [--index DIR] [--shards HOST:PORT,...] [--counters HOST:PORT,...] [--host H]
[--port P] [--threads N]`: serve with waitress."""

from __future__ import annotations

import argparse
import logging
import sys
import threading

import waitress
from flask import Flask

from search import InvalidRequest, SearchError
from web import create_app


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__)
    parser.add_argument(
        "--index", help="index folder (default: FLASK_INDEX_DIR, else index/ in the repo)"
    )
    parser.add_argument(
        "--shards",
        metavar="HOST:PORT[,HOST:PORT...]",
        help="search these xapian-tcpsrv shard servers as one index (default: FLASK_SHARDS, "
        "else INDEX/shards.txt, else the index folder's live build)",
    )
    parser.add_argument(
        "--counters",
        metavar="HOST:PORT[,HOST:PORT...]",
        help="the shard servers' count servers, one per shard in the --shards order, which "
        "count each search's total and facets (default: FLASK_COUNTERS, else "
        "INDEX/counters.txt, else the shard servers count them)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--threads",
        type=int,
        default=16,
        help="worker threads (each holds one request; searches take turns on the index, so "
        "threads waiting for it cost little, and slow requests leave others free to answer)",
    )
    return parser


def _warm(app: Flask) -> None:
    """Open the index and fill the facet caches while the server starts listening."""
    try:
        app.extensions["search"].warm()
    except SearchError as e:  # no index yet: requests say so (503) until one is built
        logging.getLogger("web").warning("%s", e)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 0 <= args.port <= 65535 or args.threads < 1:
        _parser().error("--port must be 0-65535 and --threads at least 1")
    config = {"INDEX_DIR": args.index} if args.index else {}
    if args.shards:
        config["SHARDS"] = args.shards
    if args.counters:
        config["COUNTERS"] = args.counters
    app = create_app(config or None)
    if app.config["SHARDS"] or app.config["COUNTERS"]:
        try:
            app.extensions["search"].reader()  # a list that does not parse: a usage error
        except InvalidRequest as e:
            _parser().error(f"--shards / --counters: {e}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    access = logging.StreamHandler()  # stderr, like the other lines: one JSON object per line
    access.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("web.access").addHandler(access)
    logging.getLogger("web.access").propagate = False
    logging.getLogger("web").info("Index folder: %s", app.config["INDEX_DIR"])
    if app.config["SHARDS"]:
        logging.getLogger("web").info("Shard servers: %s", app.config["SHARDS"])
    if app.config["COUNTERS"]:
        logging.getLogger("web").info("Count servers: %s", app.config["COUNTERS"])
    threading.Thread(target=_warm, args=(app,), daemon=True).start()
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="trials")
    return 0


if __name__ == "__main__":
    sys.exit(main())
