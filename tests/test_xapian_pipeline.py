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
from search.xapian import writer as writer_module
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


def statistics(path: Path) -> dict:
    """What a reader reads of the database as a whole: counts, lengths and their bounds, each
    term's frequencies and wdf bound, each value slot's frequency and bounds, metadata."""
    db = xapian.Database(str(path))
    try:
        terms = {t.term: (t.termfreq, db.get_collection_freq(t.term), db.get_wdf_upper_bound(
            t.term)) for t in db.allterms()}  # fmt: skip
        slots = {s: (db.get_value_freq(s), db.get_value_lower_bound(s),
                     db.get_value_upper_bound(s)) for s in range(40)}  # fmt: skip
        keys = {k.decode(): db.get_metadata(k) for k in db.metadata_keys()}
        return {
            "docs": (db.get_doccount(), db.get_lastdocid(), db.get_total_length()),
            "lengths": (db.get_doclength_lower_bound(), db.get_doclength_upper_bound()),
            "terms": terms,
            "slots": slots,
            "metadata": keys,
        }
    finally:
        db.close()


@pytest.mark.parametrize("part_docs", [7, 30])
def test_a_build_written_in_parts_is_the_database_written_whole(
    docs, expected, tmp_path, monkeypatch, part_docs
):
    """Parts of 7 or 30 documents merged at commit (the replaced trial and the deleted
    descriptor in a part finished before): every document under its docid, the statistics
    and metadata of one database written whole; the parts are removed."""
    whole = tmp_path / "whole"
    whole.mkdir()
    (tmp_path / "in").mkdir()
    write(XapianWriter(whole, None), docs)
    monkeypatch.setattr(writer_module, "PART_DOCS", part_docs)
    in_process = XapianWriter(tmp_path / "in", None)
    keys = [key for key, _ in docs]
    last = (len(keys) - 1) // part_docs  # the part written when the repeat comes
    assert keys.index(REPLACED) // part_docs < last and keys.index(DELETED) // part_docs < last
    write(in_process, docs)
    assert not in_process.parts and sorted(p.name for p in (tmp_path / "in").iterdir()) == [
        "xapian"
    ]
    forked = ForkedWriter(tmp_path, {0: tmp_path / "db"}, lambda record_id: 0)
    write(forked, docs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "in", "whole"]
    want = statistics(whole / "xapian")
    assert want["metadata"].pop("build") == b"whole"
    for path, build in ((tmp_path / "in" / "xapian", "in"), (tmp_path / "db", tmp_path.name)):
        assert content(path) == expected
        got = statistics(path)
        assert got["metadata"].pop("build") == build.encode()
        assert got == want


def test_a_cancelled_build_in_parts_leaves_nothing(docs, tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "PART_DOCS", 7)
    writer = XapianWriter(tmp_path, None)
    for key, document in docs[:30]:
        writer.add(key, document)
    assert len(writer.parts) == 4 and (tmp_path / "xapian.parts").is_dir()
    writer.cancel()
    assert list(tmp_path.iterdir()) == []


def test_a_record_met_again_unchanged_is_not_sent_again(docs, tmp_path):
    """A later copy with the content hash of the copy sent last is not sent to the writer
    process (its document would replace itself: 11,018 of ../shared/data's 11,042 repeats);
    a changed copy is, and so is a copy met after the record's deletion. The database is the
    in-process writer's, which writes every copy."""
    by_id = dict(docs)
    other = next(key for key, d in docs if d["type"] == "trial" and key != REPLACED)
    changed = by_id[other] | {"id": REPLACED}  # another real trial's content: a change
    steps = [
        (REPLACED, by_id[REPLACED]),  # unchanged
        (REPLACED, changed),  # changed: written
        (REPLACED, changed),  # unchanged again
        (DELETED, None),
        (DELETED, by_id[DELETED]),  # after its deletion: written
        (DELETED, by_id[DELETED]),  # unchanged
    ]

    def run(writer) -> list[bool]:  # noqa: ANN001
        for key, document in docs:
            writer.add(key, document)
        said = [writer.add(k, d) if d is not None else writer.delete(k) for k, d in steps]
        writer.commit()
        return said

    (tmp_path / "in").mkdir()
    want = run(XapianWriter(tmp_path / "in", None))
    forked = ForkedWriter(tmp_path, {0: tmp_path / "db"}, lambda record_id: 0)
    assert run(forked) == want == [True, True, True, True, False, True]
    assert forked.unchanged == 3
    assert content(tmp_path / "db") == content(tmp_path / "in" / "xapian")
