"""Counting on one shard: the exact total and facet value counts of a boolean query's matches
within sets of facet selections, over the shard's own per-document arrays
(search/xapian/tables.py), in the process that holds the shard's database.

One unscored match gives the query's docids (a mask); each group's selections are a NumPy mask
of the shard's documents (search/xapian/facets.py filter_mask, as one database counts them), and
each of its fields is counted over the two masks' intersection. A multi-valued field counts each
of its values (never the joined strings a value-count match spy returns, one per distinct set of
values). A count server (search/xapian/countserver.py) serves this to the web nodes; the counts
of the shards of an index add up to one database's (tests/test_countserver.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, TypeVar

import numpy as np
import xapian

from search import fields as f
from search.errors import InvalidRequest
from search.facets import BY_NAME
from search.models import SearchRequest
from search.xapian import facets as xfacets
from search.xapian import termstats
from search.xapian.schema import FACET_SLOTS, NUMBER_SLOTS
from search.xapian.shards import version
from search.xapian.tables import Tables, match_count, match_mask
from search.xapian.typestats import TypeCounts

Filters = tuple[tuple[str, tuple[str, ...]], ...]
Range = tuple[str, int | None, int | None]  # (a NUMBER_SLOTS field, low, high): None is open
MAX_RANGES = 8  # numeric ranges AND'ed with one query
EVERY_TYPE = "*"  # a field name standing for the type field (the types of the whole match set)
MAX_GROUPS = 64  # groups in one request (a search asks at most one per facet, plus two)
MAX_VALUES = 1_000  # selected values in one group
T = TypeVar("T")


class Group(NamedTuple):
    """Count `fields` over the matches (of `query`, else of the request's query) that the
    facet selections `filters` allow; with `minus`, over those of `query` the request's
    query does not match (its AND NOT, the request's query's matches read once). A group of
    its own `query` with no fields, filters, ranges or `minus` is only a total: Xapian counts
    it without its docids being read (tables.match_count). `ranges`: numeric ranges its own
    query's matches must be within, taken from the shard's arrays (Tables.in_range): Xapian
    1.4.26 checks a range for each document of an OR holding a phrase."""

    filters: Filters
    fields: tuple[str, ...]
    query: xapian.Query | None = None
    minus: bool = False
    ranges: tuple[Range, ...] = ()


class Counted(NamedTuple):
    total: int
    counts: dict[str, Counter[str]]  # field (or EVERY_TYPE) -> value -> matching records


def check_ranges(ranges: tuple[Range, ...]) -> None:
    """InvalidRequest unless every range is of a numeric field, within the limit."""
    if len(ranges) > MAX_RANGES:
        raise InvalidRequest(f"A query is AND'ed with at most {MAX_RANGES} ranges.")
    for field, *ends in ranges:
        if field not in NUMBER_SLOTS:
            raise InvalidRequest(f"{field!r} has no numbers to count a range of.")
        if any(e is not None and (type(e) is not int or abs(e) > 10**9) for e in ends):
            raise InvalidRequest("A range's ends are whole numbers or null.")


def check_groups(groups: list[Group]) -> None:
    """InvalidRequest unless every group names known facets and fields, within the limits."""
    if not 0 < len(groups) <= MAX_GROUPS:
        raise InvalidRequest(f"A count asks for 1 to {MAX_GROUPS} groups, not {len(groups)}.")
    for group in groups:
        check_ranges(group.ranges)
        values = sum(len(v) for _, v in group.filters)
        if values > MAX_VALUES:
            raise InvalidRequest(f"A group selects {values} values (at most {MAX_VALUES}).")
        unknown = [n for n, _ in group.filters if n not in BY_NAME]
        unknown += [x for x in group.fields if x != EVERY_TYPE and x not in FACET_SLOTS]
        if unknown:
            raise InvalidRequest(f"No facet or facet field is named {unknown[0]!r}.")


def count(
    db: xapian.Database,
    tables: Tables,
    query: xapian.Query,
    groups: list[Group],
    ranges: tuple[Range, ...] = (),
) -> list[Counted]:
    """Each group's total and its fields' value counts among the matches of `query` within
    `ranges` (or of the group's own query within its own), each query matched once."""
    check_groups(groups)
    check_ranges(ranges)
    masks: dict[tuple[bytes, tuple[Range, ...]], np.ndarray] = {}

    def matches(q: xapian.Query, within: tuple[Range, ...]) -> np.ndarray:
        key = (q.serialise(), within)
        found = masks.get(key)
        if found is None:
            found = masks[key] = match_mask(db, q, tables.size)
            for field, low, high in within:
                found &= tables.in_range(field, low, high)
        return found

    out = []
    for group in groups:
        own = group.query is not None
        if own and not (group.fields or group.filters or group.minus or group.ranges):
            out.append(Counted(match_count(db, group.query), {}))
            continue
        matched = matches(group.query, group.ranges) if own else matches(query, ranges)
        if group.minus and own:
            matched = matched & ~matches(query, ranges)
        if group.filters:
            within = matched & xfacets.filter_mask(tables, SearchRequest(filters=group.filters))
        else:
            within = matched
        ids = np.flatnonzero(within)
        fields = [f.TYPE if name == EVERY_TYPE else name for name in group.fields]
        # several fields: one pass over the documents' values of every field, when they are
        # few enough (16 fields over 300 match sets of the full data's searches: 730 -> 427 ms)
        every = tables.counts_every(ids) if len(set(fields)) > 1 else None
        counts = {}
        for name, field in zip(group.fields, fields, strict=True):
            if every is not None and field in every:
                counts[name] = tables.named(field, *every[field])
            else:
                counts[name] = tables.count(field, within, ids)
        out.append(Counted(len(ids), counts))
    return out


class Shard(NamedTuple):
    """One opened build of a shard database: its build name, documents and arrays (counted
    on `db`), and a second handle (`reader`, its own lock) that reads documents and term
    statistics meanwhile, with their frequencies per record type (`types`)."""

    key: tuple
    build: str
    db: xapian.Database
    tables: Tables
    reader: xapian.Database
    types: TypeCounts
    documents: int


def _key(path: Path) -> tuple:
    """What changes when the database at `path` does: the folder it resolves to (a `current`
    link switched to a new build) and its version file (a replica brought up to date)."""
    real = os.path.realpath(path)
    try:
        stat = os.stat(os.path.join(real, "iamglass"))
    except OSError:
        return (real,)
    return (real, stat.st_ino, stat.st_mtime_ns, stat.st_size)


class ShardCounter:
    """Counts on the shard database at `path` (often DIR/current/shards/K, or a replica):
    reopened when it changes, as `xapian-tcpsrv` serves each new connection the database the
    path holds then. A new build is opened (its arrays read) while counts go on on the previous
    one, which stays open while counts name it (a web node switches to a new build only once
    every shard holds it) and for RETIRE seconds after the last; then it is closed. One count at
    a time, and one read of documents or statistics beside it, each on a database handle of its
    own (a xapian.Database is not thread-safe): a page's documents do not wait for the counts
    sent before its ranking."""

    RETIRE = 60.0  # seconds a build no longer the newest stays open after a count named it
    KEPT = 2  # builds open at most (the oldest closed first)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lock = threading.Lock()  # the open builds (held briefly)
        self.counting = threading.Lock()  # counting on a build's `db` (taken after `lock`)
        self.reading = threading.Lock()  # reading on a build's `reader` (taken after `lock`)
        self._opening = threading.Lock()  # one build opened at a time
        self._open: list[Shard] = []  # newest last
        self._used: dict[str, float] = {}  # build -> when a count last named it

    def current(self) -> Shard:
        """The database the path holds now, opened (and its arrays read) if it is new; counts
        on the open builds go on meanwhile (call without `lock`)."""
        key = _key(self.path)
        found = self._open[-1] if self._open else None
        if found is not None and found.key == key:
            return found
        with self._opening:
            found = self._open[-1] if self._open else None
            if found is not None and found.key == key:
                return found  # (opened while this waited)
            db, reader = self._open_pair()
            tables = Tables(db)
            tables.warm()
            tables.joined()  # (count(): every field of a group in one pass)
            shard = Shard(
                key, version(db), db, tables, reader, TypeCounts(reader), db.get_doccount()
            )
            with self.lock:
                self._open = [s for s in self._open if s.build != shard.build] + [shard]
                self._used[shard.build] = time.monotonic()
                while len(self._open) > self.KEPT:
                    self._close(self._open[0])
            return shard

    def _open_pair(self) -> tuple[xapian.Database, xapian.Database]:
        """Two handles on the same revision of the database at the path (opened again when
        it changed between the two openings)."""
        for _ in range(10):
            db, reader = xapian.Database(str(self.path)), xapian.Database(str(self.path))
            if (version(db), db.get_revision()) == (version(reader), reader.get_revision()):
                return db, reader
            db.close()
            reader.close()
        raise xapian.DatabaseOpeningError(f"{self.path} kept changing while it was opened")

    def _close(self, shard: Shard) -> None:
        self._open.remove(shard)
        self._used.pop(shard.build, None)
        with self.counting, self.reading:  # (after a count or read of it going on)
            shard.db.close()
            shard.reader.close()

    def _held(self, build: str) -> Shard | None:
        """The open shard of `build` ('': the newest), None if it is not open; the builds no
        count named for RETIRE seconds closed (call under `lock`)."""
        now = time.monotonic()
        found = next((s for s in reversed(self._open) if not build or s.build == build), None)
        if found is not None:
            self._used[found.build] = now
        for old in self._open[:-1]:
            if now - self._used.get(old.build, 0.0) > self.RETIRE:
                self._close(old)
        return found

    def _on(
        self, build: str, read: Callable[[Shard], T], reader: bool = False
    ) -> tuple[str, T] | None:
        """`read` of the open shard of `build` ('': the newest), and its name; None when the
        shard no longer holds that build (or never did). `read` counts on the shard's `db`
        (under `counting`), or with `reader` reads on its `reader` only (under `reading`)."""
        self.current()
        using = self.reading if reader else self.counting
        while True:
            with self.lock:
                shard = self._held(build)
                if shard is None:
                    return None
                if using.acquire(blocking=False):  # (under `lock`: the shard stays open)
                    break
            with using:  # the count (or read) going on done, look again (not waiting
                pass  # under `lock`: the other handle's requests go on meanwhile)
        try:
            return shard.build, read(shard)
        except xapian.DatabaseModifiedError:  # a replica brought up to date under it
            pass
        finally:
            using.release()
        with self.lock:
            if shard in self._open:
                self._close(shard)
        return None

    def count(
        self,
        query: xapian.Query,
        groups: list[Group],
        build: str = "",
        ranges: tuple[Range, ...] = (),
    ) -> tuple[str, list[Counted]] | None:
        """The counts on `build` ('': the newest), and its name (None: see `_on`)."""
        return self._on(build, lambda shard: count(shard.db, shard.tables, query, groups, ranges))

    def stats(
        self, terms: list[str], prefixes: list[str], build: str = "", held: Sequence[str] = ()
    ) -> tuple[str, termstats.Answer] | None:
        """The statistics of `terms`, listings under `prefixes` and postings of `held` on
        `build` (search/xapian/termstats.py), and its name (None: see `_on`)."""

        def read(shard: Shard) -> termstats.Answer:
            return termstats.shard_stats(shard.reader, shard.types, terms, prefixes, held)

        return self._on(build, read, reader=True)

    def documents(self, docids: list[int], build: str = "") -> tuple[str, dict] | None:
        """The data and values of the shard's documents `docids` on `build`
        (search/xapian/termstats.py), and its name (None: see `_on`)."""
        return self._on(
            build,
            lambda shard: {"documents": termstats.shard_documents(shard.reader, docids)},
            reader=True,
        )

    def watch(self, every: float = 1.0) -> None:
        """Open the path's new build as soon as it changes, before a count asks for it (run
        in a thread of its own; an error is logged and tried again)."""
        while True:
            time.sleep(every)
            try:
                self.current()
            except xapian.Error as e:
                logging.getLogger("countserver").warning("%s: %s", self.path, e)

    def close(self) -> None:
        with self.lock:
            for shard in list(self._open):
                self._close(shard)

    def status(self) -> dict[str, object]:
        """The newest build's name and documents."""
        shard = self.current()
        with self.lock:
            return {"build": shard.build, "documents": shard.documents}
