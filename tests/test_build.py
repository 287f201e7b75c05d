"""Full rebuilds: counts per type, bad input skipped with reasons, atomic switch."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hostile import hostile_files

from indexer import build as build_module
from indexer.build import rebuild_index
from indexer.content import record_id
from indexer.errors import BuildFailed, IndexerError
from indexer.limits import Limits
from search import fields as f
from search.backend import BACKENDS
from search.engine import SearchEngine
from search.models import SearchRequest
from search.store import build_meta, current_build
from search.xapian.shards import shard_of

DATA = Path(__file__).parent / "data"
BROKEN = DATA / "broken"
GOOD_STUDY = DATA / "trials" / "xml" / "NCT00002845.xml"


def test_fixture_index_counts_every_type(index_dir, build_report):
    assert build_report["counts"] == {"trial": 25, "article": 26, "mesh": 26}
    status = SearchEngine(index_dir).status()  # what the backend's reader counts
    assert status["counts"] == build_report["counts"] and status["total"] == 77
    view = SearchEngine(index_dir).reader().view()
    assert {t: view.term(f.TYPE, t).bit_count() for t in f.TYPES} == build_report["counts"]


def test_duplicate_studies_keep_the_newest_copy(index_dir):
    # NCT00499317 is in both/xml (last updated 2022-06-10) and both/json (2023-08-14).
    record = SearchEngine(index_dir).get("NCT00499317")
    assert record["last_update_date"] == "2023-08-14"
    assert record["source"] == "ctgov-json"


def test_snapshot_dates_are_recorded(build_report):
    assert build_report["snapshots"]["ctgov"] == "2024-12-16"
    assert build_report["snapshots"]["pubmed"] >= "2021"


@pytest.mark.parametrize(
    "name, reason",
    [
        ("empty.xml", "the file is empty"),
        ("qual2014.subset.xml", "unknown root element <QualifierRecordSet>"),
        ("q2014.subset.bin", "RECTYPE = Q (qualifier) records, not MeSH descriptors"),
        ("c2017-C535306.bin", "RECTYPE = C (supplementary concept) records"),
        ("malformed_pubmed.xml", "line 1026: malformed XML: Premature end of data"),
        ("malformed_study.json", "malformed JSON: Unterminated string"),
        ("truncated_pubmed.xml.gz", "truncated or corrupt compressed data"),
    ],
)
def test_each_broken_file_is_skipped_with_a_one_line_reason(tmp_path, name, reason):
    report = rebuild_index([str(BROKEN / name), str(GOOD_STUDY)], tmp_path)
    assert report.counts["trial"] == 1, "the good file is still indexed"
    [(path, why)] = report.skipped_files
    assert path == str(BROKEN / name)
    assert reason in why and "\n" not in why


def test_records_before_a_break_are_kept(tmp_path):
    # the whole records before the cut (grep -c '</PubmedArticle>' on what is readable)
    report = rebuild_index([str(BROKEN / "malformed_pubmed.xml")], tmp_path)
    assert report.counts["article"] == 4
    report = rebuild_index([str(BROKEN / "truncated_pubmed.xml.gz")], tmp_path)
    assert report.counts["article"] == 5


def test_a_record_without_id_is_skipped_and_named(tmp_path):
    report = rebuild_index([str(BROKEN / "study_without_id.xml"), str(GOOD_STUDY)], tmp_path)
    assert report.skipped_records == [
        (str(BROKEN / "study_without_id.xml"), "", "record has no NCT id")
    ]
    assert report.counts["trial"] == 1


def test_unreadable_paths_are_reported(tmp_path):
    dangling = tmp_path / "dangling.xml"
    dangling.symlink_to(tmp_path / "gone.xml")
    report = rebuild_index(
        [str(tmp_path / "missing"), str(dangling), str(GOOD_STUDY)], tmp_path / "ix"
    )
    reasons = dict(report.skipped_files)
    assert reasons[str(tmp_path / "missing")] == "no such file or folder"
    assert reasons[str(dangling)].startswith("cannot read")


def test_a_build_where_everything_fails_leaves_the_live_index(tmp_path):
    rebuild_index([str(GOOD_STUDY)], tmp_path)
    live = current_build(tmp_path)
    broken = ["empty.xml", "qual2014.subset.xml", "q2014.subset.bin", "malformed_study.json"]
    with pytest.raises(BuildFailed) as failure:
        rebuild_index([str(BROKEN / n) for n in broken] + [str(tmp_path / "nope")], tmp_path)
    assert len(failure.value.report.skipped_files) == 5
    assert current_build(tmp_path) == live
    assert [p.name for p in (tmp_path / "builds").iterdir()] == [live.name]
    assert SearchEngine(tmp_path).search(SearchRequest(q="interleukin")).total == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_rebuild_switches_atomically_and_open_readers_keep_their_view(tmp_path, backend):
    rebuild_index([str(GOOD_STUDY)], tmp_path, backend=backend)
    engine = SearchEngine(tmp_path)
    old = SearchEngine(tmp_path).reader().view()  # a reader opened on the first build
    assert engine.search(SearchRequest(q="melanoma")).total == 1
    rebuild_index([str(DATA / "trials" / "xml")], tmp_path, backend=backend)
    assert os.readlink(tmp_path / "current").startswith("builds/")
    # a reader opened before the switch still sees the old build...
    assert old.live.bit_count() == 1 and old.head(old.docnum("NCT00002845")).type == "trial"
    # ...and the next request of a long-lived engine sees the new one, without a restart
    assert engine.search(SearchRequest(q="melanoma")).total > 1


def test_deletions_in_the_same_build_remove_earlier_records(tmp_path):
    # medline16n0902's DeleteCitation names 26432306, which is not in the file: unmatched.
    report = rebuild_index([str(DATA / "pubmed" / "medline16n0902_selection.xml")], tmp_path)
    assert report.deletions_unmatched == 1 and report.deleted == 0
    assert report.counts["article"] == 3


# ------------------------------------------------ hostile inputs (issue 15): one line each

STUDY_JSON = DATA / "trials" / "json" / "NCT00042536.json"


def test_hostile_files_are_skipped_with_one_line_and_the_good_ones_indexed(tmp_path):
    reasons = hostile_files(tmp_path / "in")
    report = rebuild_index(
        [str(tmp_path / "in"), str(GOOD_STUDY)],
        tmp_path / "ix",
        limits=Limits(inflate_floor=1 << 20),
    )
    # the good file, and the bomb's study read before the decompression was stopped
    assert report.counts["trial"] == 2
    skipped = dict(report.skipped_files)
    assert sorted(skipped) == sorted(reasons)
    for path, reason in reasons.items():
        assert reason in skipped[path] and "\n" not in skipped[path]


def _study_with_id(nct_id: str) -> str:
    study = json.loads(STUDY_JSON.read_bytes())
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    return json.dumps(study)


def test_a_record_with_a_bad_id_is_skipped_with_a_line(tmp_path):
    path = tmp_path / "bad_ids.json"
    quoted = 'NCT0004253"6'  # would break out of a quoted header value
    path.write_text(f"[{_study_with_id('../../etc/passwd')},\n{_study_with_id(quoted)}]")
    report = rebuild_index([str(path), str(GOOD_STUDY)], tmp_path / "ix")
    assert report.counts["trial"] == 1
    assert report.skipped_records == [
        (str(path), "line 1", "NCT id '../../etc/passwd' is not 'NCT' and 8 digits"),
        (str(path), "line 2", "NCT id 'NCT0004253\"6' is not 'NCT' and 8 digits"),
    ]


def test_duplicate_ids_inside_one_file_are_reported(tmp_path):
    path = tmp_path / "twice.json"
    study = STUDY_JSON.read_text()
    path.write_text(f"[{study},{study}]")
    report = rebuild_index([str(path), str(GOOD_STUDY), str(GOOD_STUDY)], tmp_path / "ix")
    assert report.duplicates == [(str(path), 1, ("NCT00042536",))]  # not across files
    assert report.counts["trial"] == 2 and report.replaced == 2


def test_the_build_records_its_backend_and_refuses_an_unknown_one(tmp_path):
    report = rebuild_index([str(GOOD_STUDY)], tmp_path, backend="whoosh")
    assert report.meta()["backend"] == "whoosh"
    assert build_meta(current_build(tmp_path))["backend"] == "whoosh"
    with pytest.raises(IndexerError, match="unknown backend 'lucene': use one of whoosh"):
        rebuild_index([str(GOOD_STUDY)], tmp_path / "other", backend="lucene")
    assert not (tmp_path / "other").exists()


def test_a_copy_the_xapian_writer_would_not_write_is_not_made_into_a_document(
    tmp_path, monkeypatch
):
    """The build asks the Xapian writer before making a record's document: a copy met again
    with the content hash of the copy written (11,018 of ../shared/data's 98,353 records
    read) and, with --shard K/N, a record of another shard are not made into documents. The
    report is what it was when they were made and handed to the writer."""
    made: list[str] = []

    def to_document(rec, *args):  # noqa: ANN001, ANN002, ANN202 - a spy
        made.append(record_id(rec))
        return real(rec, *args)

    real = build_module.to_document
    monkeypatch.setattr(build_module, "to_document", to_document)
    study = "NCT00002845"
    report = rebuild_index([str(GOOD_STUDY), str(GOOD_STUDY)], tmp_path / "a", backend="xapian")
    assert made == [study]
    assert report.counts["trial"] == 1 and report.replaced == 1
    made.clear()
    other = 1 - shard_of(study, 2)
    report = rebuild_index(
        [str(GOOD_STUDY)], tmp_path / "b", backend="xapian", shards=2, shard=other
    )
    assert made == [] and report.counts["trial"] == 0 and report.replaced == 0
