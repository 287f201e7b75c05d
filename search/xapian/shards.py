"""Shards: one Xapian index split into N databases by a stable hash of each record's id, and
searched as one (a xapian.Database made of the N, local or remote, ranks with the combined
collection statistics, so totals, scores and facet counts are those of one database).

Layout of a sharded build folder (the indexer switches the whole folder in with one rename of
the `current` link, so every shard of a build goes live together):
    builds/<stamp>/shards/0/ ... shards/N-1/   one Xapian database each
    builds/<stamp>/meta.json                   {"backend": "xapian", "shards": N, ...}
A build of one shard for another machine (`--shard K/N`) holds only shards/K and records
"shard": K. Every database written by the indexer carries its build's folder name in the
metadata key `build`; a shard that an update left untouched is shared with the build before
(hard links) and keeps that build's name, and each shard the update wrote names the build of
every shard of its set (`shard_builds`): remote readers check with whole_set that the shards
they reach are one set (search/xapian/remote.py).

Remote shards are `xapian-tcpsrv` servers (Debian `xapian-tools`); the shards of a local
build are each served by a `xapian-progsrv` child process (open_build). Either way every
shard is matched by its own server, and the reader counts on the shards
(search/xapian/shardsearch.py). Xapian's remote protocol reads a value slot one document per
round trip; RemoteShards reads a slot's values of every document with one match instead (the
collapse key of each item is the slot's value).
"""

from __future__ import annotations

import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import xapian

from search.errors import InvalidRequest, ShardUnavailable
from search.store import SHARDS_FILE, build_meta
from search.xapian.schema import DB_DIR

SHARDS_DIR = "shards"
BUILD_KEY = "build"  # metadata key: the name of the build folder that wrote the database
SET_KEY = "shard_builds"  # metadata key of a shard an update wrote: each shard's BUILD_KEY, "|"
DEFAULT_PORT = 7000
PROGSRV = "xapian-progsrv"  # serves one database over a pipe (Debian's xapian-tools)
RANK_CHUNK = 1_000  # ranked matches read at a time when a mask must filter them remotely


def shard_of(record_id: str, shards: int) -> int:
    """The shard of a record: a stable hash (CRC-32) of its id, modulo the number of shards."""
    return zlib.crc32(record_id.encode("utf-8")) % shards if shards > 1 else 0


def parse_part(text: str) -> tuple[int, int]:
    """'K/N' (shard K of N, K from 0) as (K, N); InvalidRequest when it is not one."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit()) or not 0 <= int(k) < int(n):
        raise InvalidRequest(f"{text!r} is no shard K/N (K from 0 to N-1, as 0/2 or 1/2).")
    return int(k), int(n)


def shard_count(build: Path) -> int:
    """How many shards the build's index is split into (1: one database, not sharded)."""
    return int(build_meta(build).get("shards") or 1)


def shard_dirs(build: Path) -> list[Path]:
    """The databases of a build: its shards' (those present) or its one database."""
    root = Path(build) / SHARDS_DIR
    if root.is_dir():
        found = [p for p in root.iterdir() if p.name.isdigit()]
        return sorted(found, key=lambda p: int(p.name))
    return [Path(build) / DB_DIR]


def exists_in(build: Path) -> bool:
    """Whether `build` holds a committed database, or committed shards."""
    dirs = shard_dirs(build)
    return bool(dirs) and all((d / "iamglass").is_file() for d in dirs)


def open_build(build: Path) -> xapian.Database:
    """The build's database, or its shards as one database: each shard matched in its own
    `xapian-progsrv` process (Xapian's remote protocol over a pipe), searched as remote shards
    are. Never the shard databases combined in this process: Xapian 1.4.26 (the wheel) then
    crashes (SIGSEGV) on some ranked queries (README, "Running on several machines")."""
    dirs = shard_dirs(build)
    if len(dirs) == 1:
        return xapian.Database(str(dirs[0]))
    program = shutil.which(PROGSRV)
    if program is None:
        raise ShardUnavailable(
            f"{PROGSRV} is missing, which serves a sharded index's shards: install xapian-tools "
            "(apt-get install xapian-tools).",
            (),
        )
    db = RemoteShards()
    for d in dirs:
        db.add_database(xapian.remote_open(program, str(d)))
    return db


class Address(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_addresses(text: str) -> tuple[Address, ...]:
    """'HOST:PORT[,HOST:PORT...]' (also whitespace- or newline-separated) as addresses."""
    out = []
    for item in text.replace(",", " ").split():
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidRequest(f"{item!r} is no shard server address: write HOST:PORT.")
        out.append(Address(host.strip("[]"), int(port)))
    if not out:
        raise InvalidRequest("No shard server given: write HOST:PORT[,HOST:PORT...].")
    return tuple(out)


def listed(path: Path) -> str | None:
    """The addresses a list file holds (one or more a line, `#` starts a comment) as one
    text for parse_addresses; None when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return " ".join(line.split("#", 1)[0] for line in text.splitlines())


def shards_file(index_dir: Path) -> tuple[Address, ...]:
    """The shard servers listed in the index folder's shards.txt (() when it has none)."""
    text = listed(Path(index_dir) / SHARDS_FILE)
    return () if text is None else parse_addresses(text)


class _Value(NamedTuple):
    docid: int
    value: bytes


class _Term(NamedTuple):
    term: bytes
    termfreq: int


class RemoteShards(xapian.Database):
    """Remote shards as one database. Each call on a remote database is a round trip to every
    shard, so what the reader asks again and again of one build is kept: term frequencies,
    term lists under a prefix, documents (a build never changes: the reader opens a new
    RemoteShards for a new one). `valuestream` reads a slot with one match per shard."""

    CACHED = 50_000  # entries per kind; the oldest half is dropped when full

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._freqs: dict[tuple[str, str], int] = {}
        self._terms: dict[str, list[_Term]] = {}
        self._docs: dict[int, xapian.Document] = {}

    def _keep(self, cache: dict, key: Any, value: Any) -> Any:
        if len(cache) >= self.CACHED:
            for old in list(cache)[: self.CACHED // 2]:
                del cache[old]
        cache[key] = value
        return value

    def get_termfreq(self, term: str | bytes) -> int:  # type: ignore[override]
        key = ("t", term.decode("utf-8") if isinstance(term, bytes) else term)
        found = self._freqs.get(key)
        return (
            found if found is not None else self._keep(self._freqs, key, super().get_termfreq(term))
        )

    def knows_termfreq(self, term: str) -> bool:
        return ("t", term) in self._freqs

    def remember_termfreq(self, term: str, n: int) -> None:
        """Keep a term's frequency found elsewhere (search/xapian/termstats.py: added up from
        the shards' count servers), as if a call had read it."""
        self._keep(self._freqs, ("t", term), n)

    def knows_terms(self, prefix: str) -> bool:
        return prefix in self._terms

    def remember_terms(self, prefix: str, items: list[tuple[bytes, int]]) -> None:
        """Keep the terms under a prefix and their frequencies (in term order) found
        elsewhere, as `allterms` would have listed them."""
        self._keep(self._terms, prefix, [_Term(t, n) for t, n in items])

    def get_collection_freq(self, term: str | bytes) -> int:  # type: ignore[override]
        key = ("c", term.decode("utf-8") if isinstance(term, bytes) else term)
        found = self._freqs.get(key)
        if found is None:
            found = self._keep(self._freqs, key, super().get_collection_freq(term))
        return found

    def allterms(self, prefix: str = "") -> list[_Term]:  # type: ignore[override]
        found = self._terms.get(prefix)
        if found is None:
            items = [_Term(t.term, t.termfreq) for t in super().allterms(prefix)]
            found = self._keep(self._terms, prefix, items)
        return found

    def get_document(self, docid: int, flags: int = 0) -> xapian.Document:  # type: ignore[override]
        found = self._docs.get(docid)
        if found is None:
            found = self._keep(self._docs, docid, super().get_document(docid))
        return found

    def knows_document(self, docid: int) -> bool:
        return docid in self._docs

    def keep_document(self, docid: int, doc: xapian.Document) -> None:
        """Keep a document read with others (MSet.fetch: one batch per shard)."""
        if docid not in self._docs:
            self._keep(self._docs, docid, doc)

    def valuestream(self, slot: int) -> Iterator[_Value]:  # type: ignore[override]
        count = self.get_doccount()
        if not count:
            return
        enquire = xapian.Enquire(self)
        enquire.set_query(xapian.Query.MatchAll)
        enquire.set_weighting_scheme(xapian.BoolWeight())
        enquire.set_docid_order(xapian.Enquire.ASCENDING)
        enquire.set_collapse_key(slot, count)  # keeps every document: only reads the value
        for item in enquire.get_mset(0, count):
            if item.collapse_key:
                yield _Value(item.docid, item.collapse_key)


def open_remote(address: Address, timeout: float) -> xapian.Database:
    """One `xapian-tcpsrv` shard; every call on it fails (xapian.NetworkError) after
    `timeout` seconds without an answer, connecting included."""
    ms = max(1, int(timeout * 1000))
    return xapian.remote_open(address.host, address.port, ms, ms)


def version(db: xapian.Database) -> str:
    """The build a database was written by (its BUILD_KEY metadata; '' if none)."""
    return db.get_metadata(BUILD_KEY).decode("utf-8")


def whole_set(builds: list[str], sets: list[str]) -> bool:
    """Whether shards written by `builds` (each one's BUILD_KEY, in shard order), with their
    SET_KEY metadata `sets`, are the shards of one live build: the newest shard (build names
    are time stamps) names exactly these builds, or, written without a set (a full build,
    a gather), all are one build's."""
    newest = max(range(len(builds)), key=lambda k: builds[k])
    if sets[newest]:
        return sets[newest] == "|".join(builds)
    return len(set(builds)) == 1


def ranked_within(
    enquire: xapian.Enquire,
    db: xapian.Database,
    first: int,
    size: int,
    mask: Any,
    decider: xapian.MatchDecider,
    check_at_least: int = 0,
) -> list[xapian.MSetItem]:
    """Ranks `first`..`first + size` of the matches whose docid the mask holds: with the
    decider on one database; on shards by reading the ranking in chunks and keeping the
    mask's documents (the same order: rank, then docid), because a decider is given each
    shard's own docids (Xapian 1.4) and remote shards run no Python decider at all.
    `check_at_least`: as get_mset's."""
    if db.size() == 1:
        return list(enquire.get_mset(first, size, check_at_least, None, decider))
    out: list[xapian.MSetItem] = []
    skipped, start = 0, 0
    while len(out) < size:
        chunk = enquire.get_mset(start, RANK_CHUNK, check_at_least)
        for item in chunk:
            if mask[item.docid]:
                if skipped < first:
                    skipped += 1
                elif len(out) < size:
                    out.append(item)
        if chunk.size() < RANK_CHUNK:
            break
        start += RANK_CHUNK
    return out
