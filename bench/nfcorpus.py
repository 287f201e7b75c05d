"""NFCorpus (BEIR) for the relevance benchmark: the corpus as PubMed XML for the real indexer,
an index kept per set of section weights, queries and judgments, and one run of the real
SearchEngine over a query set. Used by bench/eval_nfcorpus.py (the command line).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.metrics import ndcg_at_k, recall_at_k  # noqa: E402
from search import fields as schema  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.errors import InvalidRequest  # noqa: E402
from search.models import SearchRequest  # noqa: E402

DATA = Path("/work/shared/eval/nfcorpus")
MESH = Path("/work/shared/data/mesh")
MESH_FILES = ("derived/d2014.en_gb.bin.gz", "ascii/mtrees2014.bin", "xml/desc-samples.xml")
# Code whose change makes a built index stale (analysis, schema, documents, parsers).
CODE_INPUTS = ("indexer/*.py", "search/analysis.py", "search/fields.py", "search/whoosh/schema.py")
CORPUS_XML = "nfcorpus-pubmed.xml"
ARTICLES = (("type", ("article",)),)
PAGE_SIZE = 100
_CHECKED: dict[tuple[str, ...], Path] = {}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Corpus:
    to_pmid: dict[str, str]  # MED-123 -> PMID used in the index
    to_doc: dict[str, str]  # PMID -> MED-123


# ------------------------------------------------------------------------------ data


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pmids(doc_ids: Iterable[str]) -> dict[str, str]:
    """MED-123 -> "123" when the digits of the ids are unique; else numbers 1, 2, 3..."""
    ids = list(doc_ids)
    digits = [re.sub(r"\D", "", i).lstrip("0") for i in ids]
    if all(digits) and len(set(digits)) == len(ids):
        return dict(zip(ids, digits, strict=True))
    return {doc: str(n) for n, doc in enumerate(ids, 1)}


def pubmed_xml(docs: list[dict], to_pmid: Mapping[str, str]) -> bytes:
    """The documents as a PubmedArticleSet (title and abstract), escaped by lxml."""
    root = etree.Element("PubmedArticleSet")
    for doc in docs:
        citation = etree.SubElement(
            etree.SubElement(root, "PubmedArticle"), "MedlineCitation", Status="MEDLINE"
        )
        etree.SubElement(citation, "PMID", Version="1").text = to_pmid[doc["_id"]]
        article = etree.SubElement(citation, "Article", PubModel="Print")
        etree.SubElement(article, "ArticleTitle").text = _NOT_XML.sub(" ", doc.get("title", ""))
        abstract = etree.SubElement(article, "Abstract")
        etree.SubElement(abstract, "AbstractText").text = _NOT_XML.sub(" ", doc.get("text", ""))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_corpus(data: Path, work: Path) -> tuple[Path, Corpus]:
    """Convert corpus.jsonl to PubMed XML in `work` (rewritten only when it changed)."""
    docs = read_jsonl(data / "corpus.jsonl")
    to_pmid = pmids(d["_id"] for d in docs)
    xml = pubmed_xml(docs, to_pmid)
    path = work / CORPUS_XML
    if not path.exists() or path.read_bytes() != xml:
        work.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(xml)
        os.replace(tmp, path)
    return path, Corpus(to_pmid, {p: d for d, p in to_pmid.items()})


def queries(data: Path) -> dict[str, str]:
    return {q["_id"]: q["text"] for q in read_jsonl(data / "queries.jsonl")}


def qrels(data: Path, split: str) -> dict[str, dict[str, int]]:
    """query id -> {doc id: grade} from qrels/<split>.tsv (CRLF, with a header line)."""
    path = data / "qrels" / f"{split}.tsv"
    if not path.exists():
        raise SystemExit(f"error: no judgments for split {split!r} ({path} does not exist)")
    out: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for n, line in enumerate(fh):
            cols = line.rstrip("\r\n").split("\t")
            if n == 0 and cols[0] == "query-id" or len(cols) < 3:
                continue
            out.setdefault(cols[0], {})[cols[1]] = int(cols[2])
    return out


# ----------------------------------------------------------------------------- index


def index_for(
    work: Path, weights: Mapping[str, float], backend: str = "whoosh"
) -> tuple[Path, Path]:
    """(index folder, its stamp file) for a set of section weights and a backend."""
    if dict(weights) == schema.SECTION_WEIGHTS:
        name = "index"
    else:
        digest = hashlib.sha1(json.dumps(weights, sort_keys=True).encode()).hexdigest()[:8]
        name = f"index-{digest}"
    if backend != "whoosh":
        name += f"-{backend}"
    return work / name, work / f"{name}.json"


def ensure_index(
    work: Path,
    data: Path,
    mesh: Path,
    weights: Mapping[str, float] | None = None,
    backend: str = "whoosh",
) -> Path:
    """An index of the corpus and the MeSH files built with `weights` (default: the schema's)
    by `backend`, reused when its stamp is newer than every input and names the same weights."""
    weights = dict(weights or schema.SECTION_WEIGHTS)
    memo = (str(work), str(data), str(mesh), json.dumps(weights, sort_keys=True), backend)
    if memo in _CHECKED:  # once per process: code edited during a run does not rebuild
        return _CHECKED[memo]
    _CHECKED[memo] = index_dir = _ensure(work, data, mesh, weights, backend)
    return index_dir


def _ensure(work: Path, data: Path, mesh: Path, weights: dict[str, float], backend: str) -> Path:
    from indexer import store
    from indexer.build import rebuild_index

    corpus_xml, _ = write_corpus(data, work)
    sources = [corpus_xml, *(mesh / p for p in MESH_FILES)]
    inputs = sources + [p for pattern in CODE_INPUTS for p in ROOT.glob(pattern)]
    index_dir, stamp = index_for(work, weights, backend)
    if stamp.exists() and (index_dir / "current").exists():
        built = json.loads(stamp.read_text(encoding="utf-8"))
        newest = max(p.stat().st_mtime for p in inputs)
        if built.get("section_weights") == weights and stamp.stat().st_mtime > newest:
            return index_dir
    saved = schema.SECTION_WEIGHTS
    schema.SECTION_WEIGHTS = weights  # indexer/documents.py reads it at each document
    started = time.perf_counter()
    try:
        print(f"building {index_dir} ...", file=sys.stderr, flush=True)
        with store.index_lock(index_dir, timeout=60):
            report = rebuild_index([str(p) for p in sources], index_dir, backend=backend)
    finally:
        schema.SECTION_WEIGHTS = saved
    seconds = time.perf_counter() - started
    print(f"built {dict(report.counts)} in {seconds:.0f} s", file=sys.stderr, flush=True)
    info = {"section_weights": weights, "counts": dict(report.counts), "seconds": seconds}
    stamp.write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
    return index_dir


# ------------------------------------------------------------------------------- run


@dataclass
class Run:
    rankings: dict[str, list[str]]  # query id -> doc ids (MED-...), best first
    seconds: dict[str, float]  # query id -> time of the search call
    errors: dict[str, str]  # query id -> why the search failed (ranked nothing)


def run(
    engine: SearchEngine, corpus: Corpus, texts: Mapping[str, str], ids: Iterable[str], mode: str
) -> Run:
    """Each query through engine.search (articles only, first page of 100)."""
    out = Run({}, {}, {})
    for qid in ids:
        req = SearchRequest(q=texts[qid], filters=ARTICLES, size=PAGE_SIZE, expand=mode)
        started = time.perf_counter()
        try:
            hits = engine.search(req).hits
        except InvalidRequest as e:  # the user's query: nothing found, counted
            hits = ()
            out.errors[qid] = str(e)
        except Exception as e:  # an engine failure: counted and shown, not fatal to a run
            hits = ()
            out.errors[qid] = f"{type(e).__name__}: {e}"[:200]
        out.seconds[qid] = time.perf_counter() - started
        out.rankings[qid] = [corpus.to_doc.get(h.id, h.id) for h in hits]
    return out


def scores(
    rankings: Mapping[str, list[str]], judged: Mapping[str, Mapping[str, int]]
) -> dict[str, tuple[float, float]]:
    """query id -> (nDCG@10, recall@100) for the judged queries with a relevant document."""
    return {
        qid: (ndcg_at_k(rankings.get(qid, []), rel, 10), recall_at_k(rankings.get(qid, []), rel))
        for qid, rel in judged.items()
        if any(g >= 1 for g in rel.values())
    }


def means(per_query: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    n = len(per_query) or 1
    return (
        sum(s[0] for s in per_query.values()) / n,
        sum(s[1] for s in per_query.values()) / n,
    )
