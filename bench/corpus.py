"""The same records and the same queries for our engine and the peers (bench/perf.py).

Records come from the real upstream files through our parsers and `to_document` (so a peer
indexes exactly the text we index: title, and every other section as plain body text, with
the same facet values). Queries are drawn, seeded, from the titles, conditions and MeSH
headings of an index's own records: one to four words, some "phrases", some title-only, some
with a status or year filter, and written both in our query language and as a dict the peers
understand (bench/peers.py).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

from indexer.build import BuildReport, collect_sources, load_mesh
from indexer.documents import to_document
from indexer.parse import parse_source
from indexer.records import Deleted, Skipped
from indexer.sources import MESH_FORMATS
from search import fields as f
from search.analysis import SECTION_MARK, WEIGHT_MARK

_SECTION = re.compile(f"{SECTION_MARK}[^{WEIGHT_MARK}]*{WEIGHT_MARK}")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")
_COMMON = {"the", "and", "with", "for", "from", "that", "this", "are", "was", "were", "not"}


def peer_docs(paths: list[str]) -> Iterator[dict[str, Any]]:
    """Every record under `paths` as a peer document (duplicates are kept, as they come)."""
    report = BuildReport()
    sources = collect_sources(paths, report, _quiet)
    descriptors, lookup = load_mesh(
        [s for s in sources if s.format in MESH_FORMATS], report, _quiet
    )
    for d in descriptors:
        yield _peer(to_document(d, lookup))
    for source in sources:
        if source.format in MESH_FORMATS:
            continue
        try:
            for rec in parse_source(source):
                if not isinstance(rec, (Skipped, Deleted)):
                    yield _peer(to_document(rec, lookup))
        except Exception:  # noqa: BLE001 - a broken file is skipped here as the indexer does
            continue


def _quiet(event: str, n: int) -> None:
    """A progress callback that shows nothing."""


def _values(doc: dict[str, Any], name: str) -> tuple[str, ...]:
    raw = doc.get(name) or ""
    return tuple(v for v in str(raw).split(f.VALUE_SEP) if v)


def _peer(doc: dict[str, Any]) -> dict[str, Any]:
    year = doc.get(f.YEAR)
    facets: dict[str, Any] = {
        "type": doc[f.TYPE],
        "status": doc.get(f.STATUS),
        "phase": _values(doc, f.PHASE),
        "journal": doc.get(f.JOURNAL_NAME),
        "mesh": _values(doc, f.MESH_UI),
        "year": str(year) if year else None,
    }
    return {
        "id": doc[f.ID],
        "type": doc[f.TYPE],
        "title": doc.get(f.TITLE, ""),
        "body": " ".join(_SECTION.split(doc.get(f.ALL, ""))).strip(),
        "year": year,
        "facets": {k: v for k, v in facets.items() if v},
    }


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    phrase: bool = False
    field: str | None = None  # "title" or None (everything)
    filters: dict[str, Any] = dc_field(default_factory=dict)

    @property
    def text(self) -> str:
        """In our query language."""
        words = " ".join(self.words)
        if self.phrase:
            words = f'"{words}"'
        if self.field:
            words = f"{self.field}:{words}"
        if "status" in self.filters:
            words += f" status:{self.filters['status'].lower()}"
        if "year" in self.filters:
            lo, hi = self.filters["year"]
            words += f" year:{lo}..{hi}"
        return words

    def peer(self) -> dict[str, Any]:
        return {
            "words": list(self.words),
            "phrase": self.phrase,
            "field": self.field,
            "filters": dict(self.filters),
        }


def draw_queries(index_dir: Path, n: int, seed: int) -> list[Query]:
    """`n` queries from the records of the index at `index_dir` (seeded), of either backend:
    its live documents in docid order, shuffled, read through the index view (search/view.py)."""
    reader, view, docnums = live_documents(index_dir)
    rng = random.Random(seed)
    rng.shuffle(docnums)
    out: list[Query] = []
    with reader.lock:
        for docnum in docnums:
            if len(out) >= n:
                break
            query = _one(rng, view.record(docnum))
            if query is not None:
                out.append(query)
    return out


def live_documents(index_dir: Path) -> tuple[Any, Any, list[int]]:
    """The index's reader, its view and its live documents' numbers, ascending."""
    from search.bitsets import iter_bits
    from search.engine import SearchEngine

    reader = SearchEngine(index_dir).reader()
    view = reader.view()
    return reader, view, list(iter_bits(view.live))


def _one(rng: random.Random, record: dict[str, Any]) -> Query | None:
    kind = record["type"]
    if kind == f.TRIAL and record["conditions"] and rng.random() < 0.4:
        source = rng.choice(record["conditions"])
    elif kind == f.MESH_TYPE:
        source = record["heading"]
    else:
        source = record.get("title") or record.get("brief_title") or ""
    words = [w for w in _WORD.findall(source) if w.lower() not in _COMMON]
    if not words:
        return None
    k = min(len(words), rng.choice((1, 2, 2, 3, 3, 4)))
    start = rng.randrange(0, len(words) - k + 1)
    chosen = tuple(words[start : start + k])
    roll = rng.random()
    if roll < 0.1 and k >= 2:
        return Query(chosen, phrase=True)
    if roll < 0.18:
        return Query(chosen[:1], field="title")
    if roll < 0.25 and kind == f.TRIAL and record.get("overall_status"):
        return Query(chosen, filters={"status": record["overall_status"]})
    if roll < 0.32 and kind == f.ARTICLE and record.get("pub_year"):
        year = int(record["pub_year"])
        return Query(chosen, filters={"year": (year - 2, year + 2)})
    return Query(chosen)
