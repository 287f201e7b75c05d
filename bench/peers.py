"""Peer search engines for the benchmark (bench/perf.py): same documents, same queries.

Same semantics in every peer: a document matches when it holds ANY of the words (OR; a phrase
as a phrase) in title + body (or the title alone) and passes every filter (AND). Each word is
quoted in the engine's query language, so a word an engine splits ("COVID-19") is a phrase in
all three and no word is read as an operator. Rank: the engine's BM25, title 3.0, body 1.0.
Facets count ALL matching documents (top 20 values per facet); snippets come from each engine's
own highlighter, on the body, or on the title when the body has no match (title-only queries).
Analysis differs, so totals differ a little: Whoosh's StemmingAnalyzer drops stop words ("the",
"and") and one-letter tokens (so "Interleukin-2" is just "interleukin"), and its Porter stemmer
differs from FTS5's porter and tantivy's Snowball en_stem ("evaluating", "systemic").

* plain-whoosh: Whoosh as its documentation shows it, untuned (the baseline). Facets: Whoosh's
  `groupedby=` FieldFacets, `maptype=sorting.Count`; with groupedby Whoosh collects and scores
  every match. The facet fields are not sortable: the single-valued ones are cached in the
  searcher after the first search (PostingCategorizer), the multi-valued phase and mesh
  (`allow_overlap=True`) are read again from their postings at every search. Snippets:
  `hit.highlights()` (default highlighter, `<b class="match termN">`).
* sqlite-fts5: one file. `docs` (rowid, id, type, title, body, year, status) holds the text
  once; `fts` is an EXTERNAL-CONTENT FTS5 table over docs.title/body (`porter unicode61`,
  filled by 'rebuild' after the load); `facets` (rowid, facet, value), indexed both ways.
  Three statements per search, each running the MATCH: top 10 by `bm25(fts, 3.0, 1.0)` with
  `snippet()` (`<mark>`), a `count(*)`, and a GROUP BY of `facets` over the matching rowids.
* tantivy (PyPI 0.27.0): title/body "en_stem" (stored), year an indexed fast integer, facets
  raw-tokenized fast text fields. Query: `Index.parse_query` (OR by default, field boost title
  3.0); filters: term/range queries under `const_score_query(.., 0.0)` (no score change).
  Total: `search(count=True)`. Facets: `Searcher.aggregate` with a `terms` aggregation per
  facet (size 20). Tantivy keeps each segment's top `segment_size` values before merging
  them (default 10 x size = 200: a count could come out low, by at most the answer's
  `doc_count_error_upper_bound`); with segment_size 10,000 the counts are exact unless a
  segment has more distinct values of a facet among the matching documents.
  Snippets: `SnippetGenerator.snippet_from_doc(...).to_html()` (`<b>`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

FACETS = ("type", "status", "phase", "journal", "mesh", "year")
TOP_VALUES = 20
TITLE_WEIGHT = 3.0


@dataclass(frozen=True)
class PeerResult:
    total: int
    ids: tuple[str, ...]
    snippets: tuple[str, ...]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class Peer(Protocol):
    name: str

    def build(self, docs: Iterable[dict[str, Any]], path: Path) -> int: ...
    def open(self, path: Path) -> None: ...
    def search(
        self, q: dict[str, Any], facets: bool = True, snippets: bool = True
    ) -> PeerResult: ...
    def close(self) -> None: ...


EMPTY = PeerResult(0, (), (), {})


def size_bytes(path: Path) -> int:
    """On-disk size of a folder (sum of its files' sizes)."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def facet_values(doc: dict[str, Any], name: str) -> tuple[str, ...]:
    """A document's values for one facet (str or tuple of str; absent/None/empty: none)."""
    raw = (doc.get("facets") or {}).get(name)
    if not raw:
        return ()
    return (str(raw),) if isinstance(raw, (str, int)) else tuple(str(v) for v in raw if v)


def top_values(counts: dict[str, int]) -> dict[str, int]:
    """The TOP_VALUES most frequent values, most frequent first (ties by value)."""
    best = sorted(((v, n) for v, n in counts.items() if v and n), key=lambda x: (-x[1], x[0]))
    return dict(best[:TOP_VALUES])


def clean_words(q: dict[str, Any]) -> list[str]:
    """The query's words without `"` or `\\`; words without a letter or digit are dropped."""
    words = (w.replace('"', " ").replace("\\", " ").strip() for w in q.get("words") or ())
    return [w for w in words if any(c.isalnum() for c in w)]


def quoted(q: dict[str, Any], words: list[str]) -> str:
    """`"a" "b"` (the parser ORs them), or `"a b"` for a phrase."""
    return f'"{" ".join(words)}"' if q.get("phrase") else " ".join(f'"{w}"' for w in words)


def _empty_dir(path: Path) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if any(path.iterdir()):
        raise ValueError(f"{path} is not empty")
    return path


class PlainWhoosh:
    """Whoosh the way its documentation shows it: default writer, one commit, one searcher."""

    name = "plain-whoosh"
    SINGLE = ("type", "status", "journal", "year_value")  # ID fields, FieldFacet
    MULTI = ("phase", "mesh")  # KEYWORD fields, FieldFacet(allow_overlap=True)
    ix: Any = None
    searcher: Any = None

    def build(self, docs: Iterable[dict[str, Any]], path: Path) -> int:
        from whoosh import fields, index
        from whoosh.analysis import StemmingAnalyzer

        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            type=fields.ID(stored=True),
            title=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True, field_boost=TITLE_WEIGHT),
            body=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
            year=fields.NUMERIC(int, stored=True),  # for the year filter
            status=fields.ID(),
            journal=fields.ID(),
            year_value=fields.ID(),  # the "year" facet
            phase=fields.KEYWORD(commas=True),  # given a list: each value is one term
            mesh=fields.KEYWORD(commas=True),
        )
        writer = index.create_in(str(_empty_dir(path)), schema).writer()
        n = 0
        for doc in docs:
            row: dict[str, Any] = {"id": doc["id"], "type": doc["type"]}
            row["title"] = doc.get("title") or ""
            row["body"] = doc.get("body") or ""
            if doc.get("year"):
                row["year"] = int(doc["year"])
            for name in ("status", "journal", "phase", "mesh", "year"):
                if values := facet_values(doc, name):
                    key = "year_value" if name == "year" else name
                    row[key] = list(values) if name in self.MULTI else values[0]
            writer.add_document(**row)
            n += 1
        writer.commit()
        return n

    def open(self, path: Path) -> None:
        from whoosh import index

        self.ix = index.open_dir(str(path))
        self.searcher = self.ix.searcher()

    def search(self, q: dict[str, Any], facets: bool = True, snippets: bool = True) -> PeerResult:
        from whoosh import qparser, query, sorting

        if not (words := clean_words(q)):
            return EMPTY
        schema, group = self.ix.schema, qparser.OrGroup
        if q.get("field") == "title":
            parser = qparser.QueryParser("title", schema, group=group)
        else:
            parser = qparser.MultifieldParser(["title", "body"], schema, group=group)
        filters = [
            query.NumericRange("year", int(v[0]), int(v[1])) if k == "year" else query.Term(k, v)
            for k, v in (q.get("filters") or {}).items()
        ]
        names = (*self.SINGLE, *self.MULTI) if facets else ()
        groups = {n: sorting.FieldFacet(n, allow_overlap=n in self.MULTI) for n in names}
        results = self.searcher.search(
            parser.parse(quoted(q, words)),
            limit=10,
            groupedby=groups or None,
            maptype=sorting.Count,
            filter=query.And(filters) if filters else None,
            terms=False,
        )
        hits = results[:10]  # with groupedby, Whoosh collects every match
        snips = [h.highlights("body") or h.highlights("title") for h in hits] if snippets else []
        counts = {
            "year" if name == "year_value" else name: top_values(
                {str(k): int(n) for k, n in results.groups(name).items() if k is not None}
            )
            for name in groups
        }
        return PeerResult(len(results), tuple(h["id"] for h in hits), tuple(snips), counts)

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        self.ix = self.searcher = None


class SqliteFts5:
    """SQLite FTS5 (external content over `docs`), facets in a (rowid, facet, value) table."""

    name = "sqlite-fts5"
    DB = "peer.sqlite"
    BATCH = 1000
    SCHEMA = """
        CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT, title TEXT,
                          body TEXT, year INTEGER, status TEXT);
        CREATE VIRTUAL TABLE fts USING fts5(title, body, content='docs', content_rowid='rowid',
                                            tokenize='porter unicode61');
        CREATE TABLE facets(rowid INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL);
    """
    db: sqlite3.Connection | None = None

    def build(self, docs: Iterable[dict[str, Any]], path: Path) -> int:
        db = sqlite3.connect(_empty_dir(path) / self.DB, isolation_level=None)
        try:
            db.executescript(self.SCHEMA)
            db.execute("BEGIN")
            n, stream = 0, iter(docs)
            while batch := list(islice(stream, self.BATCH)):
                rows, facet_rows = [], []
                for rowid, doc in enumerate(batch, start=n + 1):
                    text = (doc.get("title") or "", doc.get("body") or "")
                    status = next(iter(facet_values(doc, "status")), None)
                    rows.append((rowid, doc["id"], doc["type"], *text, doc.get("year"), status))
                    facet_rows += [(rowid, f, v) for f in FACETS for v in facet_values(doc, f)]
                db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                db.executemany("INSERT INTO facets VALUES (?, ?, ?)", facet_rows)
                n += len(batch)
            db.execute("INSERT INTO fts(fts) VALUES ('rebuild')")  # index docs.title/body
            db.execute("CREATE INDEX facets_value ON facets(facet, value, rowid)")
            db.execute("CREATE INDEX facets_rowid ON facets(rowid, facet, value)")
            db.execute("COMMIT")
            return n
        finally:
            db.close()

    def open(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{Path(path) / self.DB}?mode=ro", uri=True)

    @staticmethod
    def match_expr(q: dict[str, Any], words: list[str]) -> str:
        expr = quoted(q, words).replace('" "', '" OR "')  # the words hold no '"' (clean_words)
        return f"title : ({expr})" if q.get("field") == "title" else expr

    def search(self, q: dict[str, Any], facets: bool = True, snippets: bool = True) -> PeerResult:
        assert self.db is not None, "open() first"
        if not (words := clean_words(q)):
            return EMPTY
        where, args = "fts MATCH ?", [self.match_expr(q, words)]
        for name, value in (q.get("filters") or {}).items():
            if name == "year":
                where += " AND d.year BETWEEN ? AND ?"
                args += [int(value[0]), int(value[1])]
            elif name in ("status", "type"):
                where += f" AND d.{name} = ?"
                args.append(value)
            else:  # any other facet
                where += " AND d.rowid IN (SELECT rowid FROM facets WHERE facet = ? AND value = ?)"
                args += [name, value]
        joined = f"FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE {where}"
        snippet = "snippet(fts, {}, '<mark>', '</mark>', '…', 16)"
        column = 0 if q.get("field") == "title" else 1
        extra = f", {snippet.format(column)}, {snippet.format(0)}" if snippets else ""
        top = self.db.execute(
            f"SELECT d.id{extra} {joined} ORDER BY bm25(fts, {TITLE_WEIGHT}, 1.0) LIMIT 10", args
        ).fetchall()
        snips = tuple(r[1] if "<mark>" in r[1] else r[2] for r in top) if snippets else ()
        (total,) = self.db.execute(f"SELECT count(*) {joined}", args).fetchone()
        counts: dict[str, dict[str, int]] = {name: {} for name in FACETS} if facets else {}
        if facets:
            for name, value, n in self.db.execute(
                f"SELECT facet, value, count(*) FROM facets WHERE rowid IN (SELECT fts.rowid "
                f"{joined}) GROUP BY facet, value",
                args,
            ):
                counts[name][value] = n
        counts = {name: top_values(values) for name, values in counts.items()}
        return PeerResult(total, tuple(r[0] for r in top), snips, counts)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
        self.db = None


class Tantivy:
    """tantivy-py: en_stem text fields, raw fast fields for facets, terms aggregations."""

    name = "tantivy"
    HEAP = 256_000_000
    RAW = ("type", "status", "phase", "journal", "mesh")  # facet fields; year is an integer
    SEGMENT_SIZE = 10_000  # terms kept per segment before the merge (default: 10 x size)
    ix: Any = None
    searcher: Any = None

    def build(self, docs: Iterable[dict[str, Any]], path: Path) -> int:
        import tantivy

        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        for name in ("title", "body"):
            sb.add_text_field(name, stored=True, tokenizer_name="en_stem")
        sb.add_integer_field("year", stored=True, indexed=True, fast=True)
        for name in self.RAW:
            sb.add_text_field(name, tokenizer_name="raw", fast=True)
        writer = tantivy.Index(sb.build(), path=str(_empty_dir(path))).writer(self.HEAP)
        n = 0
        for doc in docs:
            row = tantivy.Document()
            row.add_text("id", doc["id"])
            for name in ("title", "body"):
                row.add_text(name, doc.get(name) or "")
            if doc.get("year"):
                row.add_integer("year", int(doc["year"]))
            for name in self.RAW:
                for value in facet_values(doc, name):
                    row.add_text(name, value)
            writer.add_document(row)
            n += 1
        writer.commit()
        writer.wait_merging_threads()
        return n

    def open(self, path: Path) -> None:
        import tantivy

        self.ix = tantivy.Index.open(str(path))
        self.searcher = self.ix.searcher()

    def search(self, q: dict[str, Any], facets: bool = True, snippets: bool = True) -> PeerResult:
        from tantivy import FieldType, Occur, Query, SnippetGenerator

        if not (words := clean_words(q)):
            return EMPTY
        schema, searcher = self.ix.schema, self.searcher
        fields = ["title"] if q.get("field") == "title" else ["title", "body"]
        query = self.ix.parse_query(quoted(q, words), fields, field_boosts={"title": TITLE_WEIGHT})
        parts = [(Occur.Must, query)]
        for name, value in (q.get("filters") or {}).items():
            if name == "year":
                lo, hi = int(value[0]), int(value[1])
                flt = Query.range_query(schema, "year", FieldType.Integer, lo, hi)
            else:
                flt = Query.term_query(schema, name, value)
            parts.append((Occur.Must, Query.const_score_query(flt, 0.0)))
        query = Query.boolean_query(parts) if len(parts) > 1 else query
        found = searcher.search(query, 10, count=True)
        docs = [searcher.doc(address) for _, address in found.hits]
        snips = []
        if snippets and docs:
            make = partial(SnippetGenerator.create, searcher, query, schema)
            main, title = make(fields[-1]), None  # body (title for title-only queries)
            for doc in docs:
                snippet = main.snippet_from_doc(doc)
                if not snippet.highlighted() and len(fields) > 1:
                    title = title or make("title")
                    snippet = title.snippet_from_doc(doc)
                snips.append(snippet.to_html())
        counts: dict[str, dict[str, int]] = {}
        if facets:
            terms = {"size": TOP_VALUES, "segment_size": self.SEGMENT_SIZE}
            aggs = {n: {"terms": {"field": n, **terms}} for n in FACETS}
            for name, out in searcher.aggregate(query, aggs).items():
                buckets = out.get("buckets", [])  # a year key may come back as a float
                values = {
                    f"{b['key']:g}" if name == "year" else b["key"]: b["doc_count"] for b in buckets
                }
                counts[name] = top_values(values)
            counts = {name: counts.get(name, {}) for name in FACETS}
        return PeerResult(found.count, tuple(d.get_first("id") for d in docs), tuple(snips), counts)

    def close(self) -> None:
        self.ix = self.searcher = None


PEERS: dict[str, type] = {"plain-whoosh": PlainWhoosh, "sqlite-fts5": SqliteFts5}
try:
    import tantivy  # noqa: F401

    PEERS["tantivy"] = Tantivy
except ImportError:  # pragma: no cover - tantivy is optional
    pass
