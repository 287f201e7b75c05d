"""What XapianReader (search/xapian/engine.py) reads besides searches: a record by its id, the
index view the engine-neutral algorithms read (search/view.py: related records, MeSH pages, and
in a search its MeSH expansion and spelling suggestion), and the index's status.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from search import fields as f
from search.errors import DocumentNotFound
from search.models import Overview, Related
from search.related_mesh import MeshBook, overview
from search.store import read_meta
from search.xapian import related as xrelated
from search.xapian.schema import id_term, term
from search.xapian.view import XapianView

if TYPE_CHECKING:
    from search.xapian.engine import _State


class Records:
    """XapianReader's reads besides searches (its state and settings are the reader's)."""

    index_dir: Path
    b: float
    k1: float

    def get(self, record_id: str) -> dict[str, Any]:
        """The stored record with this id; DocumentNotFound if there is none."""
        with self.locked():
            st = self.state()
            docid = self._first(st, id_term(record_id)) if record_id else None
            if docid is None:
                raise DocumentNotFound(f"No record has the id {record_id!r}.")
            return f.unpack_record(st.db.get_document(docid).get_data())

    def _view(self, st: _State) -> XapianView:
        if st.view is None:
            version = (str(self.index_dir), st.target)
            st.view = XapianView(st.db, version, self.b, self.k1, live=st.tables.live)
        return st.view

    def view(self) -> XapianView:
        """The index view of the live build (search/view.py), for the neutral algorithms (and
        benchmarks and tests); read it with `self.lock` held."""
        with self.locked():
            return self._view(self.state())

    def related(self, record_id: str, limit: int = 10, explicit: bool = True) -> Related:
        """Trials, articles and MeSH descriptors related to a record, each with its reason
        (search/related.py); DocumentNotFound if there is no such record."""
        with self.locked():
            st = self.state()
            return xrelated.related(self._view(st), st.tables, record_id, limit, explicit)

    def mesh_overview(self, ui: str) -> Overview | None:
        """The MeSH page of a descriptor (None if `ui` is no descriptor)."""
        with self.locked():
            return overview(MeshBook(self._view(self.state())), ui)

    def status(self) -> dict[str, Any]:
        """Counts per type and the build's metadata (dates of the data and of the build)."""
        with self.locked():
            st = self.state()
            counts = {t: st.db.get_termfreq(term(f.TYPE, t)) for t in f.TYPES}
        meta = read_meta(self.index_dir)
        total = sum(counts.values())
        return {**meta, "counts": counts, "total": total, "backend": "xapian"}
