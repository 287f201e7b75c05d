"""A new Xapian build's writer processes (search/xapian/pipeline.py): wherever its Xapian
documents are made (in the indexer's process and sent serialised, in the writer process, or
each batch on the less busy side), the database holds exactly the documents the in-process
writer (search/xapian/writer.py) writes, in the same order, replacements and deletions too."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import xapian
from test_xapian_schema import documents

from search.xapian import pipeline
from search.xapian.pipeline import BALANCED, HERE, THERE, ForkedWriter
from search.xapian.writer import XapianWriter

REPLACED, DELETED = "NCT00002845", "D008545"  # a fixture trial and a MeSH descriptor


def write(writer, docs: list[tuple[str, dict]]) -> None:
    """The fixture documents, the first trial again (a later copy), and one deletion."""
    for key, document in docs:
        writer.add(key, document)
    assert writer.add(REPLACED, dict(docs)[REPLACED]), "a repeat is reported"
    assert writer.delete(DELETED) and not writer.delete("NCT99999999")
    writer.commit()


def content(path: Path) -> list[tuple]:
    """Every document of the database in docid order: terms (wdf, positions), values, data."""
    db = xapian.Database(str(path))
    try:
        out = []
        for item in db.postlist(""):
            doc = db.get_document(item.docid)
            terms = [(t.term, t.wdf, tuple(t.positer)) for t in doc.termlist()]
            values = [(v.num, v.value) for v in doc.values()]
            out.append((item.docid, terms, values, doc.get_data()))
        return out
    finally:
        db.close()


@pytest.fixture(scope="module")
def docs() -> list[tuple[str, dict]]:
    return documents()


@pytest.fixture(scope="module")
def expected(docs, tmp_path_factory) -> list[tuple]:
    build = tmp_path_factory.mktemp("inprocess")
    write(XapianWriter(build, None), docs)
    return content(build / "xapian")


@pytest.mark.parametrize("where", [HERE, THERE, BALANCED])
def test_writer_processes_write_the_documents_of_the_in_process_writer(
    docs, expected, tmp_path, monkeypatch, where
):
    monkeypatch.setattr(pipeline, "BATCH", 7)  # many batches: the balance decides often
    writer = ForkedWriter(tmp_path, {0: tmp_path / "db"}, lambda record_id: 0, make=where)
    write(writer, docs)
    kept = {key: document["type"] for key, document in docs if key != DELETED}
    assert len(expected) == len(kept) > 50
    assert content(tmp_path / "db") == expected
    assert writer.counts() == dict(Counter(kept.values()))


def test_the_balance_makes_documents_where_the_queue_says(docs, tmp_path, monkeypatch):
    """While the writer's queue is at least half full the indexer makes the documents; an
    empty queue sends them unmade (the writer makes them)."""
    monkeypatch.setattr(pipeline, "BATCH", 1)
    writer = ForkedWriter(tmp_path, {0: tmp_path / "db"}, lambda record_id: 0, make=BALANCED)
    sent: list[str] = []
    put = writer._put

    def spy(k, batch):  # noqa: ANN001
        if isinstance(batch, list):
            sent.extend(op for op, _, _ in batch)
        put(k, batch)

    writer._put = spy
    writer.procs[0].kill()  # nothing is taken from the queue now: it fills up
    writer.procs[0].join()
    with pytest.raises(OSError, match="the writer of the database stopped"):
        for key, document in docs[: pipeline.QUEUED_BATCHES + 2]:
            writer.add(key, document)
    half = pipeline.QUEUED_BATCHES // 2
    assert sent[:half] == [pipeline.ADD] * half
    assert set(sent[half:]) == {pipeline.MADE}
    writer.cancel()
    assert not (tmp_path / "db").exists()
