"""The web layer's settings: one declared table, each with its default and a help string.

`create_app()` loads DEFAULTS, then `FLASK_<NAME>` environment variables
(`FLASK_INDEX_DIR=/srv/index`, values parsed as JSON when they can be), then the mapping it is
given (tests, `python -m web --index DIR`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parent.parent


class Setting(NamedTuple):
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "INDEX_DIR",
        str(REPO / "index"),
        "Index folder written by `python -m indexer build --index DIR` (the site reads its "
        "`current` build and picks up a new one without a restart).",
    ),
    Setting(
        "BASE_URL",
        "",
        "The site's public address (`https://trials.example.org/`) for the absolute links of "
        "CSV and RIS exports; empty: the address each request came to (behind a proxy that "
        "rewrites the host, set it).",
    ),
    Setting(
        "SHARDS",
        "",
        "Shard servers (`xapian-tcpsrv`) to search as one index, `HOST:PORT,HOST:PORT...` "
        "(`python -m web --shards`); empty: those listed in INDEX_DIR/shards.txt, one a line, "
        "else the live build of INDEX_DIR.",
    ),
    Setting(
        "COUNTERS",
        "",
        "Count servers of the shard servers (`python -m search.xapian.countserver`), "
        "`HOST:PORT,HOST:PORT...`, one per shard in the SHARDS order (`python -m web "
        "--counters`): a search's total and facet counts are counted there; empty: those "
        "listed in INDEX_DIR/counters.txt, else the shard servers count them (match spies).",
    ),
    Setting(
        "SHARD_TIMEOUT",
        5.0,
        "Seconds a shard server may take to answer (connecting included): a shard down or "
        "slower than this gives a 503 sentence naming it, and the next request connects again.",
    ),
    Setting(
        "SHARD_RECHECK",
        5.0,
        "Seconds between two checks that the shard servers hold a new build (after an update): "
        "the site switches to it once every shard holds it.",
    ),
    Setting("PAGE_SIZE", 10, "Results per page when the request gives no `size`."),
    Setting("MAX_PAGE_SIZE", 100, "Largest `size` a request may ask for (at most 100)."),
    Setting(
        "REQUEST_TIMEOUT",
        10,
        "Seconds a request may spend on the index (waiting for it included): past them a "
        "search stops with a 503 sentence, and the next request gets the index. 0: no limit.",
    ),
    Setting(
        "FACET_LIMIT",
        12,
        "Values listed per facet, most frequent first; selected values are always listed. "
        "Year facets list every year (shown as decades); `all_values=<facet>` lists up to "
        "500 values of one facet.",
    ),
    Setting(
        "METRICS",
        True,
        "Serve `/metrics` (Prometheus text format). Set it false (`FLASK_METRICS=false`) when the "
        "site is public and the metrics should not be: `/metrics` then answers 404.",
    ),
    Setting(
        "ACCESS_LOG",
        True,
        "Log one JSON line per request (logger `web.access`: method, path, route, status, "
        "duration in ms).",
    ),
)
DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}
