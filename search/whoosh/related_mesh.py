"""The MeSH side of related items: descriptors by UI, by name or by tree number, their place in
the tree (broader and narrower descriptors), and the records indexed with a descriptor or with
its narrower ones. Everything is a term look-up or a cached bitset, never a scan of the records.

Look-ups go through the calling thread's searcher; their results are cached per index version
and shared by all threads (like the bitsets of search/docsets.py).
"""

from __future__ import annotations

import threading
from typing import Any

from whoosh.searching import Searcher

from search import fields as f
from search.meshnames import Named, best_ui
from search.models import Descriptor, Overview, TreePosition
from search.whoosh.docsets import DocSets, iter_bits

NARROWER_LIMIT = 200  # narrower descriptors listed per tree number on a MeSH page


class _Cache:
    def __init__(self) -> None:
        self.by_ui: dict[str, Descriptor | None] = {}
        self.by_name: dict[str, str] = {}
        self.by_tree: dict[str, str] = {}


_caches: dict[tuple[str, int], _Cache] = {}
_lock = threading.Lock()


class MeshBook:
    """MeSH look-ups for one thread's searcher (cheap to make: the caches are shared)."""

    def __init__(self, state: Any) -> None:
        """`state`: the engine's per-thread view of the index (SearchEngine.state())."""
        self.searcher: Searcher = state.searcher
        self.reader = state.searcher.reader()
        self.docsets: DocSets = state.docsets
        with _lock:
            key = state.key
            cache = _caches.get(key)
            if cache is None:  # a new index version: the old caches go
                _caches.clear()
                cache = _caches[key] = _Cache()
        self.cache = cache
        self.mesh_bits = self.docsets.term(f.TYPE, f.MESH_TYPE)

    # -- descriptors -------------------------------------------------------------------
    def get(self, ui: str) -> Descriptor | None:
        """The descriptor with this UI (padded UIs such as D000007172 are read as D007172)."""
        if not ui:
            return None
        if ui in self.cache.by_ui:
            return self.cache.by_ui[ui]
        docnum = self.searcher.document_number(**{f.ID: ui})
        if docnum is None and ui[1:].isdigit() and len(ui) > 7:
            docnum = self.searcher.document_number(**{f.ID: f"{ui[0]}{int(ui[1:]):06d}"})
        found = None
        if docnum is not None:
            stored = self.reader.stored_fields(docnum)
            if stored.get(f.TYPE) == f.MESH_TYPE:
                found = _descriptor(f.unpack_record(stored[f.RECORD]))
        self.cache.by_ui[ui] = found
        return found

    def named(self, name: str) -> Descriptor | None:
        """The descriptor whose heading (else an entry term) is `name`, word order free."""
        if not name:
            return None
        key = name.lower()
        if key not in self.cache.by_name:
            self.cache.by_name[key] = self._lookup_name(name)
        return self.get(self.cache.by_name[key])

    def _lookup_name(self, name: str) -> str:
        term = f.term_key(name)
        if not term or not self.reader.frequency(f.ENTRY_KEY, term):
            return ""
        candidates = []
        for docnum in self.reader.postings(f.ENTRY_KEY, term).all_ids():
            record = f.unpack_record(self.reader.stored_fields(docnum)[f.RECORD])
            candidates.append(_named(record))
        return best_ui(name, candidates)

    def resolve(self, ui: str, name: str) -> Descriptor | None:
        """A record's MeSH term: by its UI when it has one, else by its name."""
        return self.get(ui) or self.named(name)

    def at_tree(self, tree_number: str) -> Descriptor | None:
        """The descriptor holding this tree number."""
        ui = self.cache.by_tree.get(tree_number)
        if ui is None:
            bits = self.docsets.term(f.MESH_TREE, tree_number) & self.mesh_bits
            docnum = next(iter_bits(bits), None)
            ui = self.reader.stored_fields(docnum)[f.ID] if docnum is not None else ""
            self.cache.by_tree[tree_number] = ui
        return self.get(ui)

    # -- the tree ----------------------------------------------------------------------
    def position(self, tree_number: str) -> TreePosition:
        parts = tree_number.split(".")
        chain = tuple(
            (t, self.at_tree(t)) for t in (".".join(parts[:i]) for i in range(1, len(parts)))
        )
        below = self.narrower_numbers(tree_number)
        listed = []
        for t in below[:NARROWER_LIMIT]:
            d = self.at_tree(t)
            if d is not None:
                listed.append((t, d))
        return TreePosition(tree_number, chain, tuple(listed), max(0, len(below) - NARROWER_LIMIT))

    def narrower_numbers(self, tree_number: str) -> list[str]:
        """Tree numbers one level below this one that some record or descriptor holds."""
        depth = tree_number.count(".") + 1
        out = []
        for t in self.reader.expand_prefix(f.MESH_TREE, tree_number + "."):
            t = t.decode("utf-8") if isinstance(t, bytes) else t
            if t.count(".") == depth:
                out.append(t)
        return sorted(out)

    # -- records indexed with a descriptor -----------------------------------------------
    def indexed(self, d: Descriptor, narrower: bool = True) -> int:
        """Records (of any type, the descriptor itself included) indexed with `d`, and with
        `narrower`, with any descriptor below it in the tree: a bitset."""
        bits = self.docsets.term(f.MESH_UI, d.ui)
        if narrower:
            for t in d.tree_numbers:
                bits |= self.docsets.term(f.MESH_TREE, t)
                for below in self.reader.expand_prefix(f.MESH_TREE, t + "."):
                    text = below.decode("utf-8") if isinstance(below, bytes) else below
                    bits |= self.docsets.term(f.MESH_TREE, text)
        return bits


def narrower_query(d: Descriptor) -> str:
    """Query syntax for the records indexed with `d` or a narrower descriptor (what
    `MeshBook.indexed` counts), for links to the search page."""
    return " OR ".join([f"mesh:{d.ui}", *(f"mesh_tree:{t}*" for t in d.tree_numbers)])


def _named(record: dict[str, Any]) -> Named:
    return Named(record["ui"], record["heading"], tuple(record["entry_terms"]))


def _descriptor(record: dict[str, Any]) -> Descriptor:
    return Descriptor(
        ui=record["ui"],
        heading=record["heading"],
        scope_note=record["scope_note"],
        entry_terms=tuple(record["entry_terms"]),
        tree_numbers=tuple(record["tree_numbers"]),
    )


def overview(book: MeshBook, ui: str) -> Overview | None:
    """The MeSH page of a descriptor (None if `ui` is no descriptor)."""
    d = book.get(ui)
    if d is None:
        return None
    ds = book.docsets
    trials, articles = ds.term(f.TYPE, f.TRIAL), ds.term(f.TYPE, f.ARTICLE)
    direct, everything = ds.term(f.MESH_UI, d.ui), book.indexed(d)

    def ranked(field: str, within: int, by_value: bool = False) -> tuple[tuple[str, int], ...]:
        counts = ds.count_low(field, within)
        if by_value:
            return tuple(sorted(counts.items(), reverse=True))
        return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    return Overview(
        descriptor=d,
        positions=tuple(book.position(t) for t in d.tree_numbers),
        query=narrower_query(d),
        trials=(direct & trials).bit_count(),
        trials_narrower=(everything & trials).bit_count(),
        articles=(direct & articles).bit_count(),
        articles_narrower=(everything & articles).bit_count(),
        by_status=ranked(f.STATUS, everything & trials),
        by_phase=ranked(f.PHASE, everything & trials),
        by_year=ranked(f.PUB_YEAR, everything & articles, by_value=True),
    )
