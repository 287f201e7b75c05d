"""`python -m search.xapian.countserver --db PATH --port P [--host H]`: a shard's count server.

It runs beside the shard's `xapian-tcpsrv` (which keeps serving rankings, documents and
related items) and answers the web nodes' counts: the exact total and facet value counts of a
boolean query's matches within sets of facet selections (search/xapian/counting.py), counted
with NumPy over the shard's arrays, where a match spy per facet slot cost ~7x more on the
shard. One HTTP/1.1 endpoint, JSON in and out (the wire format: search/xapian/counters.py):

    POST /count   {"query": base64 of xapian.Query.serialise() (unscored: no posting source),
                   "build": the build the web node reads ('' = the newest),
                   "groups": [{"filters": [[facet, [value, ...]], ...], "fields": [field, ...],
                               "query": its own query instead (optional),
                               "minus": true: only those of its query the main query
                                        does not match (optional)}]}
              ->  {"build": ..., "groups": [{"total": N, "counts": {field: {value: N}}}]}
    POST /stats   {"build": ..., "terms": [term, ...], "prefixes": [prefix, ...],
                   "held": [term, ...] (optional)}
              ->  {"build": ..., "terms": {term: [documents, {record type: documents}]},
                   "prefixes": {prefix: [[term, documents], ...] | null (too many)},
                   "postings": {held term: [docids, wdfs] (base64 of int32) | null}}
                  (a search's term statistics at once: search/xapian/termstats.py)
    POST /documents  {"build": ..., "docids": [the shard's docid, ...]}
              ->  {"build": ..., "documents": {docid: [data, {slot: value}] (base64)}}
                  (the values of schema.DOCUMENT_SLOTS: those the pages read)
    GET /status   {"status": "ok", "build": ..., "documents": N}

Errors answer a JSON {"error": sentence}: 400 (a request it cannot read), 409 (the build asked
for is no longer open here), 411/413 (no length, or a body over MAX_BODY), 503 (no database at
the path). Bounded: a body of at most MAX_BODY bytes, at most MAX_CONNECTIONS connections at
once (more are closed), a connection idle or too slow for TIMEOUT seconds is dropped, and a
request that fails answers its error without stopping the server.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import xapian

from search.errors import InvalidRequest
from search.xapian import termstats
from search.xapian.counting import MAX_GROUPS, MAX_RANGES, Group, Range
from search.xapian.shardcounter import ShardCounter

MAX_BODY = 4_000_000  # bytes of one request
MAX_CONNECTIONS = 64
TIMEOUT = 30.0  # seconds a connection may wait for the client's next bytes
log = logging.getLogger("countserver")
NOT_FOUND = "Not found: ask POST /count, /stats or /documents, or GET /status."


def parse_ranges(raw: Any) -> tuple[Range, ...]:
    """A query's numeric ranges, [[field, low, high], ...] (InvalidRequest when malformed;
    counting.check_ranges checks their fields and ends)."""
    if raw is None:
        return ()
    try:
        if not isinstance(raw, list) or len(raw) > MAX_RANGES:
            raise TypeError
        found = []
        for field, low, high in raw:
            if not isinstance(field, str):
                raise TypeError
            found.append((field, low, high))
    except (TypeError, ValueError):
        raise InvalidRequest(
            f"`ranges` is a list of at most {MAX_RANGES} [field, low, high]."
        ) from None
    return tuple(found)


def parse_groups(raw: Any) -> list[Group]:
    """The request's groups (InvalidRequest when they are not well formed)."""
    if not isinstance(raw, list) or len(raw) > MAX_GROUPS:
        raise InvalidRequest(f"`groups` must be a list of at most {MAX_GROUPS}.")
    groups = []
    for g in raw:
        try:
            filters = tuple((str(n), tuple(str(v) for v in vs)) for n, vs in g["filters"])
            fields = tuple(str(x) for x in g["fields"])
            query = parse_query(g["query"]) if "query" in g else None
            minus = g.get("minus", False)
            if not isinstance(minus, bool):
                raise TypeError
            ranges = parse_ranges(g.get("ranges"))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidRequest(
                "A group is {filters: [[facet, [values]]], fields: [...], query?: ..., "
                "minus?: true|false, ranges?: [[field, low, high]]}."
            ) from None
        groups.append(Group(filters, fields, query, minus, ranges))
    return groups


def parse_query(text: Any) -> xapian.Query:
    try:
        return xapian.Query.unserialise(base64.b64decode(str(text), validate=True))
    except (binascii.Error, ValueError, xapian.Error) as e:
        raise InvalidRequest(f"`query` is no serialised Xapian query ({e}).") from None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a web node reuses its connection
    disable_nagle_algorithm = True  # (headers and body are two writes: no 40 ms delayed ACK)
    timeout = TIMEOUT
    server: CountServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug(format, *args)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        if self.path != "/status":
            return self._send(404, {"error": NOT_FOUND})
        try:
            status = self.server.counter.status()
        except xapian.Error as e:
            return self._send(
                503, {"error": f"No shard database at {self.server.counter.path}: {e}"}
            )
        self._send(200, {"status": "ok", **status})

    def do_POST(self) -> None:  # noqa: N802
        if self.path not in ("/count", "/stats", "/documents"):
            return self._send(404, {"error": NOT_FOUND})
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self.close_connection = True
            return self._send(411, {"error": "A count request needs a Content-Length."})
        if int(length) > MAX_BODY:
            self.close_connection = True  # its body is not read
            return self._send(413, {"error": f"A count request is at most {MAX_BODY} bytes."})
        body = self.rfile.read(int(length))
        try:
            request = json.loads(body)
            if not isinstance(request, dict):
                raise InvalidRequest("A count request is a JSON object.")
            build = str(request.get("build") or "")
            if self.path == "/stats":
                terms, prefixes, held = termstats.check(
                    request.get("terms"), request.get("prefixes"), request.get("held")
                )
                found = self.server.counter.stats(terms, prefixes, build, held)
            elif self.path == "/documents":
                docids = termstats.check_docids(request.get("docids"))
                found = self.server.counter.documents(docids, build)
            else:
                query = parse_query(request.get("query"))
                groups = parse_groups(request.get("groups"))
                ranges = parse_ranges(request.get("ranges"))
                counted = self.server.counter.count(query, groups, build, ranges)
                groups_out = {"groups": [c._asdict() for c in counted[1]]} if counted else None
                found = None if counted is None else (counted[0], groups_out)
        except (InvalidRequest, ValueError) as e:  # (json's errors are ValueErrors)
            return self._send(400, {"error": str(e)})
        except xapian.DatabaseOpeningError as e:
            return self._send(
                503, {"error": f"No shard database at {self.server.counter.path}: {e}"}
            )
        except Exception:  # one bad request answers 500; the server goes on
            log.exception("count failed")
            return self._send(500, {"error": "The count failed (the server's log says why)."})
        if found is None:
            return self._send(
                409, {"error": f"This shard no longer holds build {request.get('build')!r}."}
            )
        build, answer = found
        self._send(200, {"build": build, **answer})


class CountServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], counter: ShardCounter) -> None:
        super().__init__(address, Handler)
        self.counter = counter
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):  # too many connections: this one closed
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m search.xapian.countserver",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--db", required=True, help="the shard database (e.g. DIR/current/shards/K)"
    )
    parser.add_argument("--port", type=int, required=True, help="port to listen on")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    counter = ShardCounter(args.db)
    try:
        status = counter.status()  # open and read the arrays before taking requests
    except xapian.Error as e:
        parser.error(f"--db: no shard database at {args.db} ({e})")
    threading.Thread(target=counter.watch, name="watch", daemon=True).start()
    server = CountServer((args.host, args.port), counter)
    log.info("Counting %s (build %s, %s documents) on %s:%s", args.db, status["build"],
             status["documents"], args.host, server.server_address[1])  # fmt: skip
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
