"""The relevance collections of /work/shared/eval as the real system sees them: queries,
judgments per split, the records indexed by the real indexer (with the MeSH data, as a
production index is), and the documents' plain text for a reference BM25 in the same process.

    nfcorpus      BEIR NFCorpus: 3,633 PubMed abstracts, short topics (train, dev)
    scifact       BEIR SciFact: 5,183 abstracts, one-sentence claims (train)
    trec_ct_2021  TREC Clinical Trials 2021: patient descriptions judged against the trials of
                  /work/shared/data/trials (test; 0 not relevant, 1 excluded, 2 eligible)

An index is built once per collection and backend under WORK/<name>/<backend> and reused while
its stamp is newer than every input (corpus, MeSH files, indexer/analysis/schema code). Builds
run at the caller's priority: run big ones under `nice -n 10`. Used by bench/evaluate.py.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import nfcorpus as nf  # noqa: E402
from search import fields as schema  # noqa: E402

EVAL = Path("/work/shared/eval")
DATA = Path("/work/shared/data")
MESH = DATA / "mesh"
WORK = ROOT / "bench" / "out" / "evalsets"
# The trials TREC CT 2021 is judged against (the legacy XML folders repeat zip members).
TRIAL_SOURCES = ("trials/AllPublicXML_sample.zip", "trials/ctgov_api_v2")
CODE_INPUTS = nf.CODE_INPUTS + ("search/whoosh/writer.py", "search/xapian/writer.py")


@dataclass(frozen=True)
class EvalSet:
    """One collection: where its files are and how its judgments are read."""

    name: str
    folder: Path
    record_type: str  # what its queries search: "article" or "trial"
    splits: tuple[str, ...]  # qrels/<split>.tsv files
    condensed: bool = False  # drop unjudged documents from a ranking before scoring (TREC CT)

    def queries(self) -> dict[str, str]:
        """query id -> text."""
        return nf.queries(self.folder)

    def qrels(self, split: str) -> dict[str, dict[str, int]]:
        """query id -> {document id: grade}, for the queries with a relevant document."""
        judged = nf.qrels(self.folder, split)
        return {q: rel for q, rel in judged.items() if any(g > 0 for g in rel.values())}

    @property
    def filters(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The facet filter that keeps a search to this collection's records."""
        return (("type", (self.record_type,)),)


COLLECTIONS: dict[str, EvalSet] = {
    "nfcorpus": EvalSet("nfcorpus", EVAL / "nfcorpus", schema.ARTICLE, ("train", "dev")),
    "scifact": EvalSet("scifact", EVAL / "scifact", schema.ARTICLE, ("train",)),
    "trec_ct_2021": EvalSet(
        "trec_ct_2021", EVAL / "trec_ct_2021", schema.TRIAL, ("test",), condensed=True
    ),
}


class Ids:
    """Index ids <-> collection ids (articles get the digits of their id as PMID)."""

    def __init__(self, to_index: Mapping[str, str]) -> None:
        self.to_index = dict(to_index)
        self.to_doc = {v: k for k, v in self.to_index.items()}

    def doc(self, index_id: str) -> str:
        return self.to_doc.get(index_id, index_id)


def sources(es: EvalSet, work: Path = WORK, data: Path = DATA) -> tuple[list[Path], Ids]:
    """The files the indexer reads for `es` (MeSH included) and its id mapping. Articles are
    written as PubMed XML under WORK/<name>/ (rewritten only when the corpus changed)."""
    mesh = [data / "mesh" / p for p in nf.MESH_FILES]
    if es.record_type == schema.TRIAL:
        return [data / p for p in TRIAL_SOURCES] + mesh, Ids({})
    xml, corpus = nf.write_corpus(es.folder, work / es.name)
    return [xml, *mesh], Ids(corpus.to_pmid)


def ensure_index(
    es: EvalSet,
    work: Path = WORK,
    backend: str = "whoosh",
    data: Path = DATA,
    reuse: bool = False,
    vectors: Path | None = None,
) -> tuple[Path, Ids]:
    """The index of `es` for `backend` (built when missing or stale; with `reuse`, only when
    missing) and its id mapping. With `vectors` (a vector cache folder,
    bench/encode_evalsets.py), the build has the semantic vectors, under <backend>-vectors."""
    from indexer import store
    from indexer.build import rebuild_index

    paths, ids = sources(es, work, data)
    folder = backend if vectors is None else f"{backend}-vectors"
    index_dir = work / es.name / folder
    stamp = work / es.name / f"{folder}.json"
    inputs = [p for p in _files(paths)] + [p for g in CODE_INPUTS for p in ROOT.glob(g)]
    if stamp.exists() and (index_dir / "current").exists():
        if reuse or stamp.stat().st_mtime > max(p.stat().st_mtime for p in inputs):
            return index_dir, ids
    started = time.perf_counter()
    print(f"building {index_dir} ...", file=sys.stderr, flush=True)
    index_dir.mkdir(parents=True, exist_ok=True)
    with store.index_lock(index_dir, timeout=600):
        report = rebuild_index(
            [str(p) for p in paths],
            index_dir,
            backend=backend,
            vectors=vectors is not None,
            vector_cache=vectors,
        )
    seconds = time.perf_counter() - started
    print(f"built {dict(report.counts)} in {seconds:.0f} s", file=sys.stderr, flush=True)
    info = {"backend": backend, "counts": dict(report.counts), "seconds": round(seconds, 1)}
    stamp.write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
    return index_dir, ids


def _files(paths: list[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from (c for c in p.rglob("*") if c.is_file())
        else:
            yield p


def plain_texts(es: EvalSet, data: Path = DATA, work: Path = WORK) -> Iterator[tuple[str, str]]:
    """(collection id, whole text) of every document, for a reference BM25: title and
    abstract of an article as the corpus has them; a trial's title and every section our
    parsers read (bench/corpus.py), the last copy of a repeated trial winning."""
    if es.record_type != schema.TRIAL:
        for doc in nf.read_jsonl(es.folder / "corpus.jsonl"):
            yield doc["_id"], f"{doc.get('title', '')} {doc.get('text', '')}"
        return
    from bench.corpus import peer_docs

    cache = work / es.name / "plain-texts.json"  # parsing every trial takes minutes
    newest = max(p.stat().st_mtime for p in _files([data / p for p in TRIAL_SOURCES]))
    if cache.exists() and cache.stat().st_mtime > newest:
        yield from json.loads(cache.read_text(encoding="utf-8")).items()
        return
    texts: dict[str, str] = {}
    for doc in peer_docs([str(data / p) for p in TRIAL_SOURCES]):
        if doc["type"] == schema.TRIAL:
            texts[doc["id"]] = f"{doc['title']} {doc['body']}"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(texts), encoding="utf-8")
    yield from texts.items()
