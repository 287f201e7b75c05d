"""The counts of a local build's shards (search/xapian/local.py), done in this process with the
count servers' code (search/xapian/shardcounter.py), one shard after the other: the other kind
of counter ShardSearch sends its counts to, beside the count servers (search/xapian/counters.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, TypeVar

import xapian

from search.xapian import termstats
from search.xapian.counting import Counted, Group, Range, add_up
from search.xapian.shardcounter import ShardCounter
from search.xapian.termstats import Answer

T = TypeVar("T")


class Done(NamedTuple):
    """What `send` returns when the counts are done at once (LocalCounters)."""

    found: list[Counted]

    def result(self) -> list[Counted]:
        return self.found

    def abandon(self) -> None:
        pass


class LocalCounters:
    """The shards of a local build counted in this process, one after the other, with the
    count servers' code (search/xapian/counting.py): each shard's database opened here beside
    its xapian-progsrv (which ranks), its arrays read once."""

    def __init__(self, dirs: list[Path]) -> None:
        self.shards = [ShardCounter(d) for d in dirs]

    def send(
        self,
        query: xapian.Query,
        groups: list[Group],
        builds: list[str],
        ranges: tuple[Range, ...] = (),
    ) -> Done:
        return Done(add_up(groups, self._each(lambda s: s.count(query, groups, "", ranges))))

    def stats(
        self, terms: list[str], prefixes: list[str], builds: list[str], held: Sequence[str] = ()
    ) -> Answer:
        return termstats.add_up(self._each(lambda s: s.stats(terms, prefixes, "", held)))

    def _each(self, read: Callable[[ShardCounter], tuple[str, T] | None]) -> list[T]:
        """`read`'s answer on each shard, in order (on its newest build: always held)."""
        answers = []
        for shard in self.shards:
            found = read(shard)
            assert found is not None  # (the newest build: always held)
            answers.append(found[1])
        return answers

    def documents(self, docids: list[int], builds: list[str]) -> dict[int, xapian.Document]:
        out: dict[int, xapian.Document] = {}
        for k, local in enumerate(termstats.by_shard(docids, len(self.shards))):
            if local:
                found = self.shards[k].documents(local)
                assert found is not None  # (the newest build: always held)
                out.update(termstats.by_docid(found[1]["documents"], k, len(self.shards)))
        return out

    def warm(self) -> None:
        for shard in self.shards:
            shard.status()

    def close(self) -> None:
        for shard in self.shards:
            shard.close()
