"""SearchEngine: the face's reader. It opens the backend that wrote the live build (recorded in
the index folder) and hands every call to it, so callers never name an engine; a build by
another backend switched in later is picked up on the next call. A search whose words find
(almost) nothing searches a confident spelling correction instead (search/autocorrect.py).
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from search.autocorrect import search_spelled
from search.backend import Reader, open_reader
from search.ltr import LearnedRanker
from search.models import Overview, Related, SearchPage, SearchRequest
from search.requests import validate
from search.semantic.fusion import Rerank, SemanticRanker
from search.semantic.model import shared_encoder
from search.store import CURRENT, DEFAULT_BACKEND, SHARDS_FILE, backend_name, linked_build

# search/xapian/remote.py reader's
SHARD_OPTIONS = ("shards", "shard_timeout", "shard_recheck", "counters")


class SearchEngine:
    """Searches the live index of `index_dir`; `options` go to the backend's reader (the
    Xapian backend's include `shards`: "HOST:PORT,..." of shard servers to search instead, and
    `counters`: "HOST:PORT,..." of their count servers, one per shard in the same order).
    `semantic`: fuse BM25 with the build's vectors when it has some (search/semantic/);
    `learned`: then order the fused pool by the learned model (search/ltr/)."""

    def __init__(
        self, index_dir: str | Path, semantic: bool = True, learned: bool = True, **options: Any
    ) -> None:
        self.index_dir = Path(index_dir)
        self.options = options
        self.semantic = SemanticRanker(shared_encoder) if semantic else None
        self.learned = LearnedRanker() if semantic and learned else None
        self._readers: dict[str, Reader] = {}
        self._names: dict[str, str] = {}  # link target -> backend name
        self._lock = threading.Lock()

    def backend_name(self) -> str:
        """The backend of the live build (the default when none is built yet); Xapian when
        the index is served by shard servers (the `shards` option, or DIR/shards.txt) or
        given count servers (the `counters` option: which only shard servers can use)."""
        if self.options.get("shards") or self.options.get("counters"):
            return "xapian"
        if (self.index_dir / SHARDS_FILE).is_file():
            return "xapian"
        try:
            target = os.readlink(self.index_dir / CURRENT)
        except OSError:
            return DEFAULT_BACKEND
        name = self._names.get(target)
        if name is None:
            build = linked_build(self.index_dir)
            name = backend_name(build) if build is not None else DEFAULT_BACKEND
            self._names[target] = name
        return name

    def reader(self) -> Reader:
        """The reader of the live build's backend (one per backend, kept open)."""
        name = self.backend_name()
        reader = self._readers.get(name)
        if reader is None:
            with self._lock:
                reader = self._readers.get(name)
                if reader is None:
                    options = self.options
                    if name != "xapian":  # only the Xapian backend is sharded
                        options = {k: v for k, v in options.items() if k not in SHARD_OPTIONS}
                    reader = open_reader(name, self.index_dir, **options)
                    self._readers[name] = reader
        return reader

    def check(self, req: SearchRequest) -> None:
        return self.reader().check(req)

    def search(self, req: SearchRequest) -> SearchPage:
        """The page of results; a confident spelling correction's when `req.spell` is auto
        and the words as typed find (almost) nothing (search/autocorrect.py). A listing with no
        words (browsing what the filters allow) has nothing to rank by relevance: it lists the
        newest records first, undated ones last, as `sort=newest` would. Ranked by BM25 fused
        with the build's vectors unless `rank=bm25` (search/semantic/)."""
        if req.sort == "relevance" and not req.q.strip():
            page = search_spelled(self.reader().search, replace(req, sort="newest"))
            return replace(page, request=req)
        return search_spelled(self._search, req)

    def _search(self, req: SearchRequest) -> SearchPage:
        reader = self.reader()
        planned = self.plan(req)
        if planned is None:
            return reader.search(req)
        rerank, ranking = planned
        return replace(reader.search(req, rerank=rerank), ranking=ranking)

    def plan(self, req: SearchRequest) -> tuple[Rerank, str] | None:
        """The request's Rerank and the `ranking` it reports: "bm25+semantic+ltr" (the fused
        pool ordered by the learned model, for the query shapes it orders: search/ltr/
        SHAPES), "bm25+semantic" (other shapes, or no usable model), or None."""
        if self.semantic is None or req.rank == "bm25" or req.sort != "relevance":
            return None
        if not req.q.strip():
            return None
        validate(req)
        build = linked_build(self.index_dir)
        found = self.semantic.query(build, req.q) if build is not None else None
        if found is None:
            return None
        vectors, qvec = found
        if self.learned is not None and self.learned.orders(req.q):
            reader = self.reader()
            learned = self.learned.rerank(
                reader.view, req.q, lambda ids: vectors.similarity(qvec, ids)
            )
            if learned is not None:
                return learned, "bm25+semantic+ltr"
        return self.semantic.fusion(vectors, qvec, req.q), "bm25+semantic"

    def ranking(self) -> str:
        """What `rank=best` does on the live build: "bm25+semantic+ltr", "bm25+semantic" or
        "bm25"."""
        build = linked_build(self.index_dir)
        if self.semantic is None or build is None or self.semantic.unavailable:
            return "bm25"
        if self.semantic.vectors(build) is None:
            return "bm25"
        if self.learned is not None and self.learned.model() is not None:
            return "bm25+semantic+ltr"
        return "bm25+semantic"

    def get(self, record_id: str) -> dict[str, Any]:
        return self.reader().get(record_id)

    def related(self, record_id: str, limit: int = 10, explicit: bool = True) -> Related:
        return self.reader().related(record_id, limit=limit, explicit=explicit)

    def mesh_overview(self, ui: str) -> Overview | None:
        return self.reader().mesh_overview(ui)

    def status(self) -> dict[str, Any]:
        return {**self.reader().status(), "ranking": self.ranking()}

    def warm(self) -> None:
        """Open the index and, when the live build has vectors, load (and check) the model."""
        self.reader().warm()
        if self.ranking() != "bm25":
            assert self.semantic is not None
            self.semantic.warm()
