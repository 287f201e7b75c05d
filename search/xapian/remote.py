"""The reader of remote shards (`xapian-tcpsrv` servers, given as HOST:PORT or listed in the
index folder's shards.txt; with their count servers: search/xapian/counters.py), and `reader`,
the backend's Reader: remote shards, or a local build (search/xapian/local.py).

RemoteReader is XapianReader over a database made of the remote shards. Each call on a shard
fails after `timeout` seconds without an answer (Xapian's remote timeout): a shard that is
down, unreachable or too slow gives ShardUnavailable (503) then, never a hang; the connections
are dropped and the next request connects again, so service resumes when the shard is back.
Every `recheck` seconds the reader connects afresh and reads the shards' builds (the `build`
and `shard_builds` metadata the indexer writes): when they are a new build's whole set
(shards.whole_set; a shard an update left untouched keeps the build before) it switches to it;
while they are not (an update being copied to them) it keeps the build it has, so a reader
never mixes an updated shard with one not updated.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import xapian

from search.deadline import duration
from search.errors import InvalidRequest, ShardUnavailable
from search.xapian.counters import Counters, CountServers, counters_file
from search.xapian.engine import XapianReader, _State
from search.xapian.local import LocalReader, _counts, _Guarded
from search.xapian.query import Translator
from search.xapian.shards import (
    SET_KEY,
    Address,
    RemoteShards,
    open_remote,
    parse_addresses,
    shards_file,
    version,
    whole_set,
)
from search.xapian.tables import Tables
from search.xapian.view import XapianView

SHARD_TIMEOUT = 5.0  # seconds a shard may take to answer one call
RECHECK = 5.0  # seconds between two checks for a new build on the shards
# what a shard that stopped answering raises (DatabaseModifiedError: a replica changed under
# an open connection; reconnecting reads the new revision)
LOST = (xapian.NetworkError, xapian.DatabaseModifiedError, xapian.DatabaseClosedError)


class RemoteReader(_Guarded):
    """Searches the shards served at `addresses` as one index; with `counters` (a count server
    per shard, in the same order: search/xapian/countserver.py) a relevance search's total and
    facet counts are counted there, else with match spies on the shards."""

    def __init__(
        self,
        index_dir: str | Path,
        addresses: tuple[Address, ...],
        timeout: float = SHARD_TIMEOUT,
        recheck: float = RECHECK,
        counters: tuple[Address, ...] = (),
        **options: Any,
    ) -> None:
        super().__init__(index_dir, **options)
        self.addresses = addresses
        self.timeout, self.recheck = timeout, recheck
        self._checked = -float("inf")
        if counters and len(counters) != len(addresses):
            raise InvalidRequest(
                f"{len(counters)} count servers for {len(addresses)} shards: give one per "
                "shard, in the shard list's order."
            )
        self.counters = CountServers(counters, timeout) if counters else None

    def _counters(self, st: _State) -> tuple[Counters, list[str]] | None:
        if self.counters is None:
            return None
        return self.counters, st.target.split("|")

    # -- connections -------------------------------------------------------------------------
    def _down(self, address: Address, error: Exception) -> ShardUnavailable:
        return ShardUnavailable(
            f"The index shard at {address} did not answer within {duration(self.timeout)} "
            f"({error}); try again shortly.",
            tuple(self.probe()),
        )

    def _connect(self) -> tuple[RemoteShards, list[str], list[str]]:
        db = RemoteShards()
        versions, sets = [], []
        for address in self.addresses:
            try:
                part = open_remote(address, self.timeout)
                versions.append(version(part))
                sets.append(part.get_metadata(SET_KEY).decode("utf-8"))
            except LOST as e:
                db.close()
                raise self._down(address, e) from None
            db.add_database(part)
        return db, versions, sets

    def state(self) -> _State:
        """The open shards; every `recheck` seconds, the shards' new build once all hold it
        (call under lock)."""
        st = self._state
        now = time.monotonic()
        if st is not None and now - self._checked < self.recheck:
            return st
        db, versions, sets = self._connect()
        self._checked = now
        if not whole_set(versions, sets):
            db.close()
            if st is not None:
                return st  # the build it has, whole, until every shard holds the new one
            raise ShardUnavailable(
                "The index shards hold different builds (an update is being copied to them); "
                "try again shortly.",
                tuple(self.probe()),
            )
        target = "|".join(versions)
        if st is not None and st.target == target:
            db.close()
            return st
        self._state = _State(
            target, db, Tables(db), Translator(db, self.k1, self.b, per_type=self.per_type)
        )
        if st is not None:
            st.db.close()
        return self._state

    def _drop(self) -> None:
        with self.lock:
            if self._state is not None:
                self._state.db.close()
            self._state = None

    def _guard(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """A reader call; a lost shard drops the connections (the next call reconnects); a
        count server that failed makes the next call check the shards' builds again."""
        for attempt in (1, 2):
            try:
                return method(*args, **kwargs)
            except ShardUnavailable as e:
                if e.counters:
                    self._checked = -float("inf")
                raise
            except xapian.DatabaseModifiedError:
                self._drop()  # a replica moved on under this connection: read it afresh
                if attempt == 2:
                    raise ShardUnavailable(
                        "An index shard changed during the search; try again.", ()
                    ) from None
            except LOST as e:
                self._drop()
                raise ShardUnavailable(
                    f"An index shard did not answer within {duration(self.timeout)} ({e}); "
                    "try again shortly.",
                    tuple(self.probe()),
                ) from None
        raise AssertionError("unreachable")

    def probe(self) -> list[dict[str, Any]]:
        """How each shard answers now (fresh connections): documents and build, or the error."""
        out = []
        for address in self.addresses:
            try:
                db = open_remote(address, self.timeout)
                out.append(
                    {
                        "shard": str(address),
                        "status": "ok",
                        "documents": db.get_doccount(),
                        "build": version(db),
                    }
                )
                db.close()
            except LOST as e:
                out.append({"shard": str(address), "status": "down", "error": str(e)})
        return out

    # -- the reader --------------------------------------------------------------------------
    def view(self) -> XapianView:
        return self._guard(super().view)

    def status(self) -> dict[str, Any]:
        """Counts per type, the backend, and every shard's answer (ShardUnavailable when one
        does not answer)."""
        shards = self.probe()
        down = [s for s in shards if s["status"] != "ok"]
        if down:
            raise ShardUnavailable(
                f"{len(down)} of {len(shards)} index shards did not answer within "
                f"{duration(self.timeout)}: {', '.join(s['shard'] for s in down)}.",
                tuple(shards),
            )

        def counts() -> dict[str, int]:
            with self.lock:
                return _counts(self.state().db)

        found = self._guard(counts)
        info = {
            "counts": found,
            "total": sum(found.values()),
            "backend": "xapian",
            "build": shards[0].get("build", ""),
            "shard_status": shards,
        }
        if self.counters is not None:
            counters = self.counters.probe()
            down = [c for c in counters if c["status"] != "ok"]
            if down:
                raise ShardUnavailable(
                    f"{len(down)} of {len(counters)} count servers did not answer: "
                    f"{', '.join(c['counter'] for c in down)}.",
                    tuple(shards),
                    tuple(counters),
                )
            info["counter_status"] = counters
        return info


def _addresses(given: str | tuple[Address, ...]) -> tuple[Address, ...]:
    if isinstance(given, str):
        return parse_addresses(given) if given.strip() else ()
    return tuple(given)


def reader(
    index_dir: str | Path,
    shards: str | tuple[Address, ...] = (),
    shard_timeout: float = SHARD_TIMEOUT,
    shard_recheck: float = RECHECK,
    counters: str | tuple[Address, ...] = (),
    **options: Any,
) -> XapianReader:
    """The reader of an index folder: of the shard servers given (or listed in its
    shards.txt) when there are any, else of its live build (one database or local shards).
    `counters`: the shard servers' count servers (or those listed in its counters.txt)."""
    addresses = _addresses(shards) or shards_file(Path(index_dir))
    counting = _addresses(counters) or counters_file(Path(index_dir))
    if addresses:
        return RemoteReader(index_dir, addresses, shard_timeout, shard_recheck, counting, **options)
    if counting:
        raise InvalidRequest(
            "Count servers count for shard servers: give the shard servers too (--shards, "
            "the SHARDS setting or INDEX/shards.txt)."
        )
    return LocalReader(index_dir, **options)


__all__ = ["LocalReader", "RemoteReader", "reader"]
