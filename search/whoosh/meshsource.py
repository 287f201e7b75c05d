"""MeSH look-ups for query expansion (search/expansion.py's MeshSource) from a Whoosh searcher."""

from __future__ import annotations

from whoosh.searching import Searcher

from search import fields as f
from search.meshnames import Named


class WhooshMeshSource:
    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()

    def descriptors_keyed(self, key: str) -> list[Named]:
        if not self.reader.frequency(f.ENTRY_KEY, key):
            return []
        out = []
        for docnum in self.reader.postings(f.ENTRY_KEY, key).all_ids():
            stored = self.reader.stored_fields(docnum)
            record = f.unpack_record(stored[f.RECORD])
            entries = tuple(record.get("entry_terms", ()))
            out.append(Named(stored[f.ID], record.get("heading", ""), entries))
        return out

    def descriptor(self, ui: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
        docnum = self.searcher.document_number(**{f.ID: ui})
        if docnum is None:
            return None
        stored = self.reader.stored_fields(docnum)
        record = f.unpack_record(stored[f.RECORD])
        return (
            stored.get(f.TITLE, ui),
            tuple(record.get("tree_numbers", ())),
            tuple(record.get("entry_terms", ())),
        )

    def narrower_count(self, trees: tuple[str, ...]) -> int:
        terms = set()
        for tree in trees:
            terms.update(self.reader.expand_prefix(f.MESH_TREE, tree + "."))
        return len(terms)
