"""MeSH look-ups for query expansion (search/expansion.py's MeshSource) from a Xapian database."""

from __future__ import annotations

import xapian

from search import fields as f
from search.meshnames import Named
from search.xapian.schema import SLOT_ID, SLOT_TITLE, id_term, term


class XapianMeshSource:
    def __init__(self, db: xapian.Database) -> None:
        self.db = db

    def _record(self, docid: int) -> tuple[xapian.Document, dict]:
        doc = self.db.get_document(docid)
        return doc, f.unpack_record(doc.get_data())

    def descriptors_keyed(self, key: str) -> list[Named]:
        out = []
        for item in self.db.postlist(term(f.ENTRY_KEY, key)):
            doc, record = self._record(item.docid)
            entries = tuple(record.get("entry_terms", ()))
            ui = doc.get_value(SLOT_ID).decode("utf-8")
            out.append(Named(ui, record.get("heading", ""), entries))
        return out

    def descriptor(self, ui: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
        for item in self.db.postlist(id_term(ui)):
            doc, record = self._record(item.docid)
            return (
                doc.get_value(SLOT_TITLE).decode("utf-8") or ui,
                tuple(record.get("tree_numbers", ())),
                tuple(record.get("entry_terms", ())),
            )
        return None

    def narrower_count(self, trees: tuple[str, ...]) -> int:
        found: set[bytes] = set()
        for tree in trees:
            found.update(t.term for t in self.db.allterms(term(f.MESH_TREE, tree + ".")))
        return len(found)
