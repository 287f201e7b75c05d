"""The web node's side of the count servers (search/xapian/countserver.py): one per shard, in
the shard list's order, given as HOST:PORT (`python -m web --counters`, the COUNTERS setting,
or the index folder's counters.txt, one a line). A search's counts are sent to every count
server (one kept-alive connection each) before the page is ranked, so that the servers count
while the shards rank; their answers are read after it and added up.

A count server that is down, refuses, or does not answer within the shard timeout gives
ShardUnavailable (503) naming it, never a hang; its connection is dropped and the next search
connects again. Each request names the build the reader holds of that shard, so a count server
that already counts a newer build answers from the one the reader's ranking comes from.
"""

from __future__ import annotations

import base64
import http.client
import json
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xapian

from search.deadline import duration
from search.errors import InvalidRequest, ShardUnavailable
from search.xapian import termstats
from search.xapian.counting import Counted, Group, Range, add_up
from search.xapian.localcounters import LocalCounters
from search.xapian.shards import Address, listed, parse_addresses
from search.xapian.termstats import Answer

COUNTERS_FILE = "counters.txt"  # count servers of the shards, one HOST:PORT a line, in order
JSON = "application/json"
Bodies = list[tuple[int, bytes]]  # (server k, request body) pairs
FAILED = (OSError, http.client.HTTPException, ValueError)  # (socket.timeout is an OSError)


def counters_file(index_dir: Path) -> tuple[Address, ...]:
    """The count servers listed in the index folder's counters.txt (() when it has none)."""
    text = listed(Path(index_dir) / COUNTERS_FILE)
    return parse_addresses(text) if text is not None and text.strip() else ()


class CountServers:
    """The count servers of an index's shards (`addresses[k]` counts shard k)."""

    def __init__(self, addresses: tuple[Address, ...], timeout: float) -> None:
        if not addresses:
            raise InvalidRequest("No count server given: write HOST:PORT[,HOST:PORT...].")
        self.addresses = addresses
        self.timeout = timeout
        # server k's connection for counts at k, for statistics (asked while counts are
        # pending: a feedback clause's words) at k + len(addresses)
        self._connections: list[http.client.HTTPConnection | None] = [None] * 2 * len(addresses)
        # a reader dropped (a test's, or a web node's old engine) closes its connections
        self._finalizer = weakref.finalize(self, _close, self._connections)

    def _slot(self, k: int, path: str) -> int:
        return k if path == "/count" else k + len(self.addresses)

    def _connection(self, k: int, path: str = "/count") -> http.client.HTTPConnection:
        conn = self._connections[self._slot(k, path)]
        if conn is None:
            address = self.addresses[k]
            conn = http.client.HTTPConnection(address.host, address.port, timeout=self.timeout)
            self._connections[self._slot(k, path)] = conn
        return conn

    def _send(self, k: int, body: bytes, path: str = "/count") -> bool:
        """Send a count to server k on its kept connection (a new one if that one was closed);
        whether it went on a kept one (which the server may have closed meanwhile)."""
        kept = self._connections[self._slot(k, path)] is not None
        try:
            self._connection(k, path).request("POST", path, body, {"Content-Type": JSON})
            return kept
        except (BrokenPipeError, ConnectionResetError):
            if not kept:
                raise
        self._drop(k, path)  # closed by the server while idle: once again, on a new connection
        self._connection(k, path).request("POST", path, body, {"Content-Type": JSON})
        return False

    def _receive(self, k: int, body: bytes, kept: bool, path: str = "/count") -> tuple[int, Any]:
        """Server k's answer to what `_send` sent (sent again on a new connection when the
        kept one turns out closed)."""
        try:
            response = self._connection(k, path).getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not kept:
                raise
            self._drop(k, path)
            self._send(k, body, path)
            response = self._connection(k, path).getresponse()
        data = response.read()
        if response.will_close:
            self._drop(k, path)
        return response.status, json.loads(data)

    def _drop(self, k: int, path: str = "/count") -> None:
        slot = self._slot(k, path)
        conn, self._connections[slot] = self._connections[slot], None
        if conn is not None:
            conn.close()

    def send(
        self,
        query: xapian.Query,
        groups: list[Group],
        builds: list[str],
        ranges: tuple[Range, ...] = (),
    ) -> Pending:
        """Ask every count server for each group's total and value counts (`builds[k]`: the
        build of shard k the reader holds; a group's own `query`, if any, instead of `query`
        within `ranges`) and return at once: the servers count while the caller goes on
        (ranking the page), and `Pending.result()` adds their answers up."""
        text = _encoded(query)
        wire = []
        for g in groups:
            item: dict[str, Any] = {"filters": [[n, list(v)] for n, v in g.filters],
                                    "fields": list(g.fields)}  # fmt: skip
            if g.query is not None:
                item["query"] = _encoded(g.query)
            if g.minus:
                item["minus"] = True
            if g.ranges:
                item["ranges"] = [list(r) for r in g.ranges]
            wire.append(item)
        asked = {"query": text, "groups": wire, "ranges": [list(r) for r in ranges]}
        bodies = [(k, json.dumps({**asked, "build": b}).encode()) for k, b in enumerate(builds)]
        return Pending(self, groups, bodies, self._send_all(bodies))

    def _send_all(self, bodies: Bodies, path: str = "/count") -> list[bool]:
        """Send each (server k, body) pair; whether each went on a kept connection."""
        kept = []
        for i, (k, body) in enumerate(bodies):
            try:
                kept.append(self._send(k, body, path))
            except FAILED as e:
                for j, _ in bodies[: i + 1]:
                    self._drop(j, path)  # (those sent: their answers are not read)
                raise self._down(k, e) from None
        return kept

    def _answers(self, bodies: Bodies, kept: list[bool], path: str = "/count") -> list[Any]:
        """Each server's answer to what `_send_all` sent; ShardUnavailable when one fails
        (every connection with an answer unread is dropped)."""
        answers = []
        for i, (k, body) in enumerate(bodies):
            try:
                status, answer = self._receive(k, body, kept[i], path)
            except FAILED as e:
                for j, _ in bodies[i:]:
                    self._drop(j, path)
                raise self._down(k, e) from None
            if status != 200:
                for j, _ in bodies[i + 1 :]:
                    self._drop(j, path)
                error = answer.get("error", "") if isinstance(answer, dict) else ""
                raise self._down(k, f"HTTP {status}: {error}")
            answers.append(answer)
        return answers

    def stats(
        self, terms: list[str], prefixes: list[str], builds: list[str], held: Sequence[str] = ()
    ) -> Answer:
        """The statistics of `terms`, listings under `prefixes` and postings of `held` over
        every shard, added up (search/xapian/termstats.py), asked of every server at once."""
        asked = {"terms": terms, "prefixes": prefixes, "held": list(held)}
        bodies = [(k, json.dumps({**asked, "build": b}).encode()) for k, b in enumerate(builds)]
        answers = self._answers(bodies, self._send_all(bodies, "/stats"), "/stats")
        return termstats.add_up(answers)

    def count(
        self,
        query: xapian.Query,
        groups: list[Group],
        builds: list[str],
        ranges: tuple[Range, ...] = (),
    ) -> list[Counted]:
        """`send`, then its result."""
        return self.send(query, groups, builds, ranges).result()

    def documents(self, docids: list[int], builds: list[str]) -> dict[int, xapian.Document]:
        """The data and values of documents (the shards' database's docids), each asked of its
        shard's count server, the servers at once (search/xapian/termstats.py)."""
        wanted = termstats.by_shard(docids, len(self.addresses))
        bodies = [(k, json.dumps({"docids": local, "build": builds[k]}).encode())
                  for k, local in enumerate(wanted) if local]  # fmt: skip
        answers = self._answers(bodies, self._send_all(bodies, "/documents"), "/documents")
        out: dict[int, xapian.Document] = {}
        for (k, _), answer in zip(bodies, answers, strict=True):
            out.update(termstats.by_docid(answer["documents"], k, len(self.addresses)))
        return out

    def _reason(self, error: Any) -> str:
        """What failed, in words (a timeout as the time waited)."""
        if isinstance(error, TimeoutError):  # (socket.timeout is TimeoutError)
            return f"no answer within {duration(self.timeout)}"
        return str(error)

    def _down(self, k: int, error: Any) -> ShardUnavailable:
        return ShardUnavailable(
            f"The count server at {self.addresses[k]} did not count ({self._reason(error)}); "
            "try again shortly.",
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
                entry.update(status="down", error=self._reason(e))
            out.append(entry)
        return out

    def warm(self) -> None:
        """Nothing here: each count server reads its shard's arrays when it starts."""

    def close(self) -> None:
        self._finalizer()


def _close(connections: list[http.client.HTTPConnection | None]) -> None:
    for k, conn in enumerate(connections):
        connections[k] = None
        if conn is not None:
            conn.close()


def _encoded(query: xapian.Query) -> str:
    return base64.b64encode(query.serialise()).decode("ascii")


class Pending:
    """Counts sent to every count server, not read yet."""

    def __init__(
        self, servers: CountServers, groups: list[Group], bodies: Bodies, kept: list[bool]
    ) -> None:
        self.servers, self.groups, self.bodies, self.kept = servers, groups, bodies, kept

    def abandon(self) -> None:
        """Drop the connections whose answers will not be read (the search stopped)."""
        for k, _ in self.bodies:
            self.servers._drop(k)

    def result(self) -> list[Counted]:
        """Each group's total and value counts over every shard, added up; ShardUnavailable
        when a count server fails (every connection with an answer unread is dropped)."""
        answers = self.servers._answers(self.bodies, self.kept)
        return add_up(self.groups, [a["groups"] for a in answers])


Counters = CountServers | LocalCounters  # what ShardSearch sends its counts to
