"""The reader of a local build (search/xapian/shards.py open_build: one database, or shards
each ranked by its own `xapian-progsrv`, counted in this process: search/xapian/localcounters.py),
and the guard it shares with the remote shards' reader (search/xapian/remote.py): a shard, or
its process, that stopped answering becomes ShardUnavailable (503), never a hang or a 500.
"""

from __future__ import annotations

from typing import Any

import xapian

from search import fields as f
from search.errors import ShardUnavailable
from search.models import Overview, Related, SearchPage, SearchRequest
from search.semantic.fusion import Rerank
from search.store import current_build
from search.xapian.counters import Counters
from search.xapian.engine import Parsed, _State
from search.xapian.localcounters import LocalCounters
from search.xapian.schema import term
from search.xapian.shards import RemoteShards, shard_dirs
from search.xapian.shardsearch import ShardSearch


def _counts(db: xapian.Database) -> dict[str, int]:
    return {kind: db.get_termfreq(term(f.TYPE, kind)) for kind in f.TYPES}


class _Guarded(ShardSearch):
    """A Xapian reader whose reads go through `_guard`: a shard (or its process) that stopped
    answering becomes ShardUnavailable (503), never a hang or a 500."""

    def _guard(self, method: Any, *args: Any) -> Any:
        raise NotImplementedError

    def search(self, req: SearchRequest, rerank: Rerank | None = None) -> SearchPage:
        return self._guard(super().search, req, rerank)

    def search_parsed(self, req: SearchRequest, parsed: Parsed | None) -> SearchPage:
        return self._guard(super().search_parsed, req, parsed)

    def get(self, record_id: str) -> dict[str, Any]:
        return self._guard(super().get, record_id)

    def related(self, record_id: str, limit: int = 10, explicit: bool = True) -> Related:
        return self._guard(super().related, record_id, limit, explicit)

    def mesh_overview(self, ui: str) -> Overview | None:
        return self._guard(super().mesh_overview, ui)

    def warm(self) -> None:
        self._guard(super().warm)


class LocalReader(_Guarded):
    """The reader of a local build: one database, or shards (search/xapian/shards.py
    open_build), whose status lists the shards, one line each. A shard's xapian-progsrv that
    stopped (killed, or crashed on a query) gives ShardUnavailable (503) and drops the
    shards, so the next call starts their processes again."""

    _local: tuple[str, LocalCounters] | None = None  # the build's shards' counters

    def _guard(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except xapian.NetworkError as e:
            with self.lock:
                if self._state is not None:
                    try:
                        self._state.db.close()
                    except xapian.Error:
                        pass  # the process is gone already
                self._state = None
            raise ShardUnavailable(
                f"An index shard's process stopped ({e}); try again.", ()
            ) from None

    def _counters(self, st: _State) -> tuple[Counters, list[str]] | None:
        """The shards of a local build are counted in this process, each on its own database
        (search/xapian/localcounters.py), where match spies cost ~7x the CPU."""
        if not isinstance(st.db, RemoteShards):
            return None
        found = self._local
        if found is None or found[0] != st.target:
            if found is not None:
                found[1].close()
            dirs = shard_dirs(self.index_dir / st.target)
            found = self._local = (st.target, LocalCounters(dirs))
        return found[1], [""] * len(found[1].shards)

    def status(self) -> dict[str, Any]:
        info = super().status()
        build = current_build(self.index_dir)
        dirs = shard_dirs(build) if build is not None else []
        if build is not None and (build / "shards").is_dir():
            shards = []
            for path in dirs:
                db = xapian.Database(str(path))
                shards.append({"shard": str(path), "status": "ok", "documents": db.get_doccount()})
                db.close()
            info["shard_status"] = shards
        return info
