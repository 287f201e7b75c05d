"""The page of hits of WhooshEngine's searches (search/whoosh/engine.py takes this in): the
records in score or date order, re-ranked when asked, with snippets and summary fields, and
the headings of MeSH facet values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

from search import deadline
from search import fields as f
from search.datesort import date_column, date_order
from search.hits import URL_PREFIX, summary_fields
from search.models import Hit, SearchRequest
from search.semantic.fusion import POOL, Rerank, dense_ids
from search.snippets import make_snippet
from search.whoosh.docsets import iter_bits
from search.whoosh.mesh_labels import name_from_records

if TYPE_CHECKING:
    from search.whoosh.engine import _State


class Listing:
    """The listing half of WhooshEngine (its state is the engine's)."""

    def _hits(
        self,
        st: _State,
        plain: wq.Query,
        req: SearchRequest,
        allowed: np.ndarray,
        scores: Any,
        shown: Any,
        extra: np.ndarray | None,
        strong: np.ndarray | None = None,
        rerank: Rerank | None = None,
    ) -> tuple[Hit, ...]:
        """The page of hits in `scores` order; snippets mark the words of `plain` (the query
        without its MeSH alternatives, which would light up every synonym). `shown` are the
        scores to show; `extra` marks the partial matches listed after the full ones; `strong`
        the strong matches a date sort lists first (search/datesort.py; None: all). `rerank`
        orders the first POOL records again (search/semantic/fusion.py)."""
        limit = req.page * req.size
        if req.sort == "relevance" and rerank is not None:
            docs = st.ranker.top(allowed, scores, max(limit, POOL))
            first = len(docs)
            docs = np.concatenate([docs, self._joiners(st, rerank, allowed, docs)])
            ids = [st.record_id(int(d)) for d in docs]
            bm25 = np.asarray(shown[docs], dtype=np.float64)
            bm25[first:] = np.nan  # dense joiners (search/semantic/fusion.py)
            order, fused = rerank(ids, bm25)
            shown = dict(zip(docs[order].tolist(), fused.tolist(), strict=True))
            docs = docs[order][:limit]
        elif req.sort == "relevance":
            docs = st.ranker.top(allowed, scores, limit)
        else:  # strong matches first, by date, then by docnum; undated records last
            found = np.flatnonzero(allowed)
            dates = self._numbers(st, date_column(req.sort))[found]
            first = None if strong is None else strong[found]
            docs = date_order(found, dates, first, req.sort)[:limit]
        terms = {
            t.decode("utf-8") if isinstance(t, bytes) else t
            for fieldname, t in plain.existing_terms(st.searcher.reader(), expand=True)
            if fieldname in f.TEXT_FIELDS
        }
        out = []
        for docnum in docs[(req.page - 1) * req.size :]:
            deadline.check()
            stored = st.searcher.stored_fields(int(docnum))
            record = f.unpack_record(stored[f.RECORD])
            out.append(
                Hit(
                    id=stored[f.ID],
                    type=stored[f.TYPE],
                    title=stored.get(f.TITLE, "").split("\n")[0],
                    url=URL_PREFIX[stored[f.TYPE]] + stored[f.ID],
                    snippet=make_snippet(record, terms),
                    score=round(float(shown[docnum]), 4) if req.sort == "relevance" else None,
                    fields=summary_fields(record, stored.get(f.DISPLAY_DATE, "")),
                    partial=bool(extra is not None and extra[docnum]),
                )
            )
        return tuple(out)

    @staticmethod
    def _joiners(st: _State, rerank: Rerank, listed: np.ndarray, docs: np.ndarray) -> np.ndarray:
        """The docnums of the records `rerank` offers to join (search/semantic/fusion.py) that
        the listing holds (the search's words and filters allow them) beyond `docs`."""
        taken = set(docs.tolist())
        out = []
        for record_id in dense_ids(rerank):
            docnum = st.searcher.document_number(**{f.ID: record_id})
            if docnum is not None and listed[docnum] and docnum not in taken:
                out.append(docnum)
                taken.add(docnum)
        return np.array(out, dtype=docs.dtype)

    @staticmethod
    def _numbers(st: _State, column: str) -> np.ndarray:
        """A numeric column per document; zeros (undated) when the index predates it."""
        if column not in st.searcher.reader().schema:
            return np.zeros(st.docsets.size, dtype=np.int64)
        return st.ranker.postings.numbers(column)

    @staticmethod
    def _record(st: _State, docnum: int) -> dict[str, Any]:
        return f.unpack_record(st.searcher.stored_fields(int(docnum))[f.RECORD])

    def _labels(self, st: _State, facet: str, values: list[str]) -> dict[str, str]:
        """Headings for MeSH facet values: a UI's heading, a tree number's descriptor."""
        out = {}
        mesh_docs = st.docsets.term(f.TYPE, f.MESH_TYPE)
        for v in values:
            key = f"{facet}:{v}"
            if key not in st.labels:
                if facet == "mesh":
                    docnum = st.searcher.document_number(**{f.ID: v})
                else:
                    docnum = next(iter_bits(st.docsets.term(f.MESH_TREE, v) & mesh_docs), None)
                stored = st.searcher.stored_fields(docnum) if docnum is not None else {}
                if facet == "topic":
                    fallback = f"{f.MESH_CATEGORIES.get(v[:1], 'MeSH')} {v}"
                elif not stored:  # no MeSH record: the name the records give it
                    fallback = name_from_records(st.searcher, st.docsets, v) or v
                else:
                    fallback = v
                st.labels[key] = stored.get(f.TITLE) or fallback
            out[v] = st.labels[key]
        return out
