"""The web node's side of the count servers (search/xapian/countserver.py): one per shard, in
the shard list's order, given as HOST:PORT (`python -m web --counters`, the COUNTERS setting,
or the index folder's counters.txt, one a line). A search's counts are asked of every count
server at once (one thread each, one kept-alive connection each) and added up.

A count server that is down, refuses, or does not answer within the shard timeout gives
ShardUnavailable (503) naming it, never a hang; its connection is dropped and the next search
connects again. Each request names the build the reader holds of that shard, so a count server
that already counts a newer build answers from the one the reader's ranking comes from.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import weakref
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import xapian

from search.errors import InvalidRequest, ShardUnavailable
from search.xapian.counting import Counted, Group
from search.xapian.shards import Address, parse_addresses

COUNTERS_FILE = "counters.txt"  # count servers of the shards, one HOST:PORT a line, in order
FAILED = (OSError, http.client.HTTPException, ValueError)  # (socket.timeout is an OSError)


def counters_file(index_dir: Path) -> tuple[Address, ...]:
    """The count servers listed in the index folder's counters.txt (() when it has none)."""
    try:
        text = (Path(index_dir) / COUNTERS_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    return parse_addresses(" ".join(lines)) if any(x.strip() for x in lines) else ()


def _seconds(value: float) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")


class CountServers:
    """The count servers of an index's shards (`addresses[k]` counts shard k)."""

    def __init__(self, addresses: tuple[Address, ...], timeout: float) -> None:
        if not addresses:
            raise InvalidRequest("No count server given: write HOST:PORT[,HOST:PORT...].")
        self.addresses = addresses
        self.timeout = timeout
        self._connections: list[http.client.HTTPConnection | None] = [None] * len(addresses)
        self._pool = ThreadPoolExecutor(len(addresses), thread_name_prefix="counters")
        # a reader dropped (a test's, or a web node's old engine) closes its connections
        self._finalizer = weakref.finalize(self, _close, self._connections, self._pool)

    def _ask(self, k: int, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        """One request to count server k on its kept connection (a new one if it has none, or
        if the kept one was closed by the server: then once again)."""
        for attempt in (1, 2):
            conn = self._connections[k]
            fresh = conn is None
            if conn is None:
                address = self.addresses[k]
                conn = http.client.HTTPConnection(address.host, address.port, timeout=self.timeout)
                self._connections[k] = conn
            try:
                headers = {"Content-Type": "application/json"} if body is not None else {}
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.will_close:
                    self._drop(k)
                return response.status, json.loads(data)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop(k)  # a kept connection the server closed: once again, on a new one
                if fresh or attempt == 2:
                    raise
            except FAILED:
                self._drop(k)
                raise
        raise AssertionError("unreachable")

    def _drop(self, k: int) -> None:
        conn, self._connections[k] = self._connections[k], None
        if conn is not None:
            conn.close()

    def count(self, query: xapian.Query, groups: list[Group], builds: list[str]) -> list[Counted]:
        """Each group's total and value counts over every shard (`builds[k]`: the build of
        shard k the reader holds), added up; ShardUnavailable when a count server fails."""
        wire = [{"filters": [[n, list(v)] for n, v in g.filters], "fields": list(g.fields)}
                for g in groups]  # fmt: skip
        text = base64.b64encode(query.serialise()).decode("ascii")
        bodies = [
            json.dumps({"query": text, "build": b, "groups": wire}).encode("utf-8") for b in builds
        ]
        futures = [self._pool.submit(self._ask, k, "POST", "/count", bodies[k])
                   for k in range(len(self.addresses))]  # fmt: skip
        answers = []
        for k, future in enumerate(futures):
            try:
                status, body = future.result()
            except FAILED as e:
                raise self._down(k, e) from None
            if status != 200:
                error = body.get("error", "") if isinstance(body, dict) else ""
                raise self._down(k, f"HTTP {status}: {error}")
            answers.append(body["groups"])
        out = []
        for i, group in enumerate(groups):
            total = sum(a[i]["total"] for a in answers)
            counts: dict[str, Counter[str]] = {}
            for name in group.fields:
                found: Counter[str] = Counter()
                for a in answers:
                    found.update(a[i]["counts"][name])
                counts[name] = found
            out.append(Counted(total, counts))
        return out

    def _down(self, k: int, error: Any) -> ShardUnavailable:
        if isinstance(error, (socket.timeout, TimeoutError)):
            error = f"no answer within {_seconds(self.timeout)}"
        return ShardUnavailable(
            f"The count server at {self.addresses[k]} did not count ({error}); try again shortly.",
            (),
            tuple(self.probe()),
        )

    def probe(self) -> list[dict[str, Any]]:
        """How each count server answers now: its build and documents, or the error."""
        out = []
        for address in self.addresses:
            entry: dict[str, Any] = {"counter": str(address)}
            try:
                conn = http.client.HTTPConnection(address.host, address.port, timeout=self.timeout)
                try:
                    conn.request("GET", "/status")
                    response = conn.getresponse()
                    body = json.loads(response.read())
                finally:
                    conn.close()
                if response.status == 200:
                    entry.update(status="ok", documents=body["documents"], build=body["build"])
                else:
                    entry.update(
                        status="down", error=f"HTTP {response.status}: {body.get('error')}"
                    )
            except FAILED as e:
                error = (
                    f"no answer within {_seconds(self.timeout)}"
                    if isinstance(e, TimeoutError)
                    else str(e)
                )
                entry.update(status="down", error=error)
            out.append(entry)
        return out

    def close(self) -> None:
        self._finalizer()


def _close(connections: list[http.client.HTTPConnection | None], pool: ThreadPoolExecutor) -> None:
    for k, conn in enumerate(connections):
        connections[k] = None
        if conn is not None:
            conn.close()
    pool.shutdown(wait=False)
