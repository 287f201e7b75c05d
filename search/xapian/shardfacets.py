"""The facets of a search on shards (search/xapian/shardsearch.py): the value counts of the
shard servers' match spies (when there are no count servers: search/xapian/counters.py), and
the facets shown from the counts added up over the shards.

A multi-valued facet's slot holds its values joined by VALUE_SEP: a ValueCountMatchSpy counts
each distinct joined string, which `split_counts` splits (values within one record are
distinct, so the sums are the records holding each value).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import xapian

from search import fields as f
from search.facets import FACETS, facet_limit, facet_of
from search.models import Facet, SearchRequest
from search.xapian.counting import EVERY_TYPE
from search.xapian.schema import FACET_SLOTS, SLOT_ID, SLOT_TITLE, id_term
from search.xapian.shards import RemoteShards

if TYPE_CHECKING:
    from search.xapian.engine import _State


def split_counts(counts: Counter[bytes]) -> Counter[str]:
    """A spy's counts of joined values as counts of each value."""
    out: Counter[str] = Counter()
    for joined, n in counts.items():
        for value in joined.decode("utf-8").split(f.VALUE_SEP):
            if value:
                out[value] += n
    return out


def spied(
    db: xapian.Database, enquire: xapian.Enquire, fields: list[str]
) -> tuple[xapian.MSet, dict[str, Counter[str]]]:
    """Every match of `enquire` counted (no hit kept), with each field's value counts (a
    match spy per field's slot; EVERY_TYPE: the type's)."""
    slots = {name: FACET_SLOTS[f.TYPE if name == EVERY_TYPE else name] for name in fields}
    spies = {name: xapian.ValueCountMatchSpy(slot) for name, slot in slots.items()}
    for spy in spies.values():
        enquire.add_matchspy(spy)
    mset = enquire.get_mset(0, 0, db.get_doccount())
    out = {}
    for name, spy in spies.items():
        out[name] = split_counts(Counter({v.term: v.termfreq for v in spy.values()}))
    enquire.clear_matchspies()
    return mset, out


class ShardFacets:
    """ShardSearch's facet half (its state and settings are the reader's)."""

    facet_limits: dict[str, int] | None

    def _spied(
        self, st: _State, enquire: xapian.Enquire, fields: list[str]
    ) -> tuple[xapian.MSet, dict[str, Counter[str]]]:
        return spied(st.db, enquire, fields)

    def _facets(
        self, st: _State, req: SearchRequest, counts: dict[str, Counter[str]]
    ) -> tuple[Facet, ...]:
        present = {t for t, n in counts[EVERY_TYPE].items() if n}
        out = []
        for d in FACETS:
            if not present.intersection(d.types) and not req.selected(d.name):
                continue
            limit = facet_limit(d, req, self.facet_limits)
            labels = lambda n, v: self._labels(st, n, v)  # noqa: E731
            facet = facet_of(d, Counter(counts[d.field]), req.selected(d.name), labels, limit)
            if facet is not None:
                out.append(facet)
        return tuple(out)

    def _labels(self, st: _State, facet: str, values: list[str]) -> dict[str, str]:
        """As XapianReader's, the MeSH headings not known yet read in one match."""
        if facet == "mesh" and isinstance(st.db, RemoteShards):
            wanted = [v for v in values if f"mesh:{v}" not in st.labels]
            if wanted:
                q = xapian.Query
                enquire = xapian.Enquire(st.db)
                enquire.set_query(q(q.OP_OR, [q(id_term(v)) for v in wanted]))
                enquire.set_weighting_scheme(xapian.BoolWeight())
                mset = enquire.get_mset(0, len(wanted))
                self._fetch(st, mset)  # type: ignore[attr-defined]  (in one batch: ShardSearch)
                for item in mset:
                    doc = st.db.get_document(item.docid)
                    title = doc.get_value(SLOT_TITLE).decode("utf-8")
                    if title:
                        st.labels[f"mesh:{doc.get_value(SLOT_ID).decode('utf-8')}"] = title
        return super()._labels(st, facet, values)  # type: ignore[misc]
