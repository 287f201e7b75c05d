"""Incremental updates: added, replaced, unchanged, deleted; MeSH from the index; atomic switch.
Every test runs on each backend (tests/conftest.py `backend`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer import store
from indexer.build import rebuild_index
from indexer.errors import BuildFailed, IndexerError
from indexer.limits import Limits
from indexer.update import describe, update_index
from search import fields as f
from search.backend import backend as backend_package
from search.bitsets import iter_bits
from search.engine import SearchEngine
from search.errors import DocumentNotFound
from search.models import SearchRequest
from search.store import backend_name, current_build

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
TRIALS = DATA / "trials"
BASE_SOURCES = [TRIALS / "xml", TRIALS / "both" / "xml", DATA / "pubmed", DATA / "mesh"]
NEW_SOURCES = [TRIALS / "both" / "json", TRIALS / "json"]  # 5 newer copies + 8 new studies
WITHDRAWN = DATA / "update" / "NCT00000340.xml"
MESH_2016 = DATA / "mesh" / "desc-samples.subset.xml"
LINKED = {"tree", "ui", "cat"}  # suffixes of the fields whose values come from MeSH look-ups


@pytest.fixture(scope="module")
def base_index(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Path:
    """The fixtures without the API v2 JSON studies (17 trials, 26 articles, 26 MeSH)."""
    path = tmp_path_factory.mktemp(f"base-{backend}")
    rebuild_index([str(p) for p in BASE_SOURCES], path, backend=backend)
    return path


@pytest.fixture
def index(base_index: Path, tmp_path: Path) -> Path:
    """A private copy of the base index, for a test that writes."""
    path = tmp_path / "index"
    shutil.copytree(base_index, path, symlinks=True)
    return path


def paths(*items: Path) -> list[str]:
    return [str(p) for p in items]


def view(index_dir: Path) -> tuple[dict[str, str], dict[tuple[str, str], frozenset[str]]]:
    """Each id's content hash, and the ids under every term of the keyword fields (read as
    the search side reads them, and the hashes as an update does: through the backend)."""
    index_view = SearchEngine(index_dir).reader().view()
    ids = {d: index_view.head(d).id for d in iter_bits(index_view.live)}
    terms = {}
    for name in (f.ID, f.TYPE, f.MESH_UI, f.MESH_TREE, f.MESH_CAT, f.LINKS, f.STATUS):
        for term in index_view.terms_under(name, ""):
            docs = frozenset(ids[d] for d in iter_bits(index_view.term(name, term)))
            if docs:
                terms[(name, term)] = docs
    live = current_build(index_dir)
    build = store.new_build_dir(index_dir)
    writer = backend_package(backend_name(live)).update(live, build)
    try:
        hashes = {i: writer.stored(i).hash for i in ids.values()}
    finally:
        writer.cancel()
        shutil.rmtree(build, ignore_errors=True)
    return hashes, terms


def test_new_records_are_added_and_newer_copies_replace_older(index):
    report = update_index(paths(*NEW_SOURCES), index)
    assert report.added == {"trial": 8}
    assert report.replaced == {"trial": 5}
    assert (report.unchanged, report.deleted, report.older) == (0, 0, 0)
    assert report.counts == {"trial": 25, "article": 26, "mesh": 26}
    record = SearchEngine(index).get("NCT00499317")  # both/xml 2022-06-10 -> both/json
    assert (record["last_update_date"], record["source"]) == ("2023-08-14", "ctgov-json")
    meta = json.loads((current_build(index) / "meta.json").read_text())
    assert meta["counts"] == {"trial": 25, "article": 26, "mesh": 26}
    assert meta["updated_at"] and meta["built_at"] <= meta["updated_at"]
    assert meta["last_update"]["added"] == 8 and meta["last_update"]["replaced"] == 5
    assert describe(report).startswith("Updated: 8 added, 5 replaced, 0 unchanged, 0 deleted")


def test_reapplying_the_same_files_writes_nothing_and_says_so(index):
    update_index(paths(*NEW_SOURCES), index)
    live = os.readlink(index / "current")
    builds = sorted(p.name for p in (index / "builds").iterdir())
    files = sorted(p.name for p in current_build(index).iterdir())
    report = update_index(paths(*NEW_SOURCES), index)
    assert report.unchanged == 13 and not report.added and not report.replaced
    assert report.build_dir == ""
    assert describe(report) == (
        "Nothing to change: 0 added, 0 replaced, 13 unchanged, 0 deleted. "
        "The live index was not touched."
    )
    assert os.readlink(index / "current") == live
    assert sorted(p.name for p in (index / "builds").iterdir()) == builds
    assert sorted(p.name for p in current_build(index).iterdir()) == files


def test_an_older_copy_of_a_study_does_not_replace_the_newer_one(index):
    update_index(paths(TRIALS / "both" / "json"), index)
    report = update_index(paths(TRIALS / "both" / "xml"), index)
    assert report.older == 5 and report.build_dir == ""
    assert SearchEngine(index).get("NCT00499317")["source"] == "ctgov-json"


def test_an_update_ends_where_a_full_rebuild_ends(index, tmp_path, backend):
    """Same records, same content hashes, same MeSH links, though the update had no MeSH
    file: the new studies' descriptors were looked up in the index."""
    update_index(paths(*NEW_SOURCES), index)
    rebuilt = tmp_path / "rebuilt"
    rebuild_index(paths(*BASE_SOURCES, *NEW_SOURCES), rebuilt, backend=backend)
    assert view(index) == view(rebuilt)


def test_mesh_terms_of_new_records_resolve_against_the_indexed_descriptors(tmp_path, backend):
    """A legacy study names its MeSH terms without UIs ("Melanoma"): with no MeSH file in the
    update, the name, its UI and its tree numbers are found among the indexed descriptors."""
    rebuild_index(paths(DATA / "mesh"), tmp_path, backend=backend)
    update_index(paths(TRIALS / "xml" / "NCT00002845.xml"), tmp_path)
    hashes, terms = view(tmp_path)
    assert "NCT00002845" in terms[(f.MESH_UI, "D008545")]
    for tree in ("C04.557.465.625.650.510", "C04.557.580.625.650.510", "C04.557.665.510"):
        assert terms[(f.MESH_TREE, tree)] == {"D008545", "NCT00002845"}


def test_delete_citation_removes_an_indexed_article(index, tmp_path):
    header = (DATA / "pubmed" / "pubmed21n1298_selection.xml").read_text().splitlines()[:3]
    notice = tmp_path / "delete.xml"
    notice.write_text(
        "\n".join([*header, "  <DeleteCitation>", '<PMID Version="1">29782900</PMID>'])
        + "\n</DeleteCitation>\n</PubmedArticleSet>\n"
    )
    assert SearchEngine(index).get("29782900")["pmid"] == "29782900"
    report = update_index(paths(notice), index)
    assert (report.deleted, report.deletions_unmatched) == (1, 0)
    assert report.counts == {"trial": 17, "article": 25, "mesh": 26}
    with pytest.raises(DocumentNotFound):
        SearchEngine(index).get("29782900")
    again = update_index(paths(notice), index)
    assert (again.deleted, again.deletions_unmatched, again.build_dir) == (0, 1, "")


def test_a_record_deleted_then_added_again_in_one_update(index, tmp_path):
    """The notice of the real medline16n0902 names no indexed record; its 3 citations are
    indexed already: nothing changes."""
    report = update_index(paths(DATA / "pubmed" / "medline16n0902_selection.xml"), index)
    assert (report.unchanged, report.deletions_unmatched, report.build_dir) == (3, 1, "")


def test_a_withdrawn_study_is_kept_like_any_other(index):
    report = update_index(paths(WITHDRAWN), index)
    assert report.added == {"trial": 1}
    record = SearchEngine(index).get("NCT00000340")
    assert (record["overall_status"], record["enrollment"]) == ("WITHDRAWN", 0)
    page = SearchEngine(index).search(
        SearchRequest(q="pemoline", filters=(("status", ("WITHDRAWN",)),))
    )
    assert [h.id for h in page.hits] == ["NCT00000340"]


def test_a_changed_descriptor_reindexes_the_records_that_use_it(index):
    """MeSH 2016's Neoplasms (D009369) lost the 2014 file's British entry terms: the legacy
    study that names it without a UI (NCT00004988) is re-derived, as its name is looked up
    again; the citation that gives the UI (407194) is not. Randomized Controlled Trial
    (D016449) has new tree numbers, but no record uses it."""
    report = update_index(paths(MESH_2016), index)
    assert report.replaced == {"mesh": 4} and report.unchanged == 1  # D005260 Female
    assert report.rederived == 1
    engine = SearchEngine(index)
    assert engine.get("D016449")["tree_numbers"] == ["V03.175.250.500.500"]
    hashes, terms = view(index)
    assert terms[(f.MESH_UI, "D009369")] == {"D009369", "NCT00004988", "407194"}


def test_a_complete_mesh_year_deletes_the_descriptors_it_dropped(index):
    report = update_index(paths(MESH_2016), index, complete_mesh=True)
    assert report.counts["mesh"] == 5 and report.deleted == 21
    hashes, terms = view(index)
    assert (f.MESH_TREE, "C04.557.465.625.650.510") not in terms  # Melanoma's tree number
    melanoma_trial = SearchEngine(index).get("NCT00002845")
    assert melanoma_trial["condition_mesh"][0]["term"] == "Melanoma"  # the record is intact


def test_unreadable_inputs_fail_and_leave_the_live_index(index):
    live = os.readlink(index / "current")
    with pytest.raises(BuildFailed, match="no input could be read"):
        update_index(paths(DATA / "broken" / "empty.xml", index / "missing.xml"), index)
    assert os.readlink(index / "current") == live
    assert len(list((index / "builds").iterdir())) == 1


def test_records_before_a_break_are_applied_and_the_file_reported(index):
    report = update_index(paths(DATA / "broken" / "truncated_pubmed.xml.gz"), index)
    [(name, reason)] = report.skipped_files
    assert "truncated or corrupt compressed data" in reason
    assert report.unchanged + sum(report.added.values()) == 5


def test_update_needs_an_index(tmp_path):  # no index: no backend
    with pytest.raises(IndexerError, match="no index in .* to update: run `python -m indexer"):
        update_index(paths(WITHDRAWN), tmp_path)


def test_a_running_engine_sees_the_update_on_its_next_request(index):
    engine = SearchEngine(index)
    assert engine.search(SearchRequest(q="pemoline")).total == 0
    old = SearchEngine(index).reader().view()  # a reader opened before the update
    update_index(paths(WITHDRAWN), index)
    assert engine.search(SearchRequest(q="pemoline")).total == 1
    assert old.live.bit_count() == 69, "a reader opened before the switch keeps its view"
    assert old.docnum("NCT00000340") is None


def test_cli_update_prints_the_summary_and_status_shows_it(index):
    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "indexer", *args]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)

    done = run("update", "--index", str(index), str(WITHDRAWN))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Updated: 1 added, 0 replaced, 0 unchanged, 0 deleted (1 trial)")
    info = json.loads(run("status", "--index", str(index), "--json").stdout)
    assert info["counts"] == {"trial": 18, "article": 26, "mesh": 26}
    assert info["updated_at"] and info["last_update"]["added"] == 1


def test_health_and_home_page_report_the_update(index):
    from web import create_app

    client = create_app({"INDEX_DIR": str(index), "TESTING": True}).test_client()
    before = client.get("/api/health").get_json()
    assert before["updated_at"] is None and before["counts"]["trial"] == 17
    update_index(paths(WITHDRAWN), index)
    health = client.get("/api/health")
    assert health.status_code == 200
    info = health.get_json()
    assert info["counts"] == {"trial": 18, "article": 26, "mesh": 26}
    assert info["updated_at"] and info["built_at"] == before["built_at"]
    assert info["snapshots"]["ctgov"] == "2023-02-03"
    home = client.get("/").get_data(as_text=True)
    assert f'<time datetime="{info["updated_at"]}">' in home


def test_an_update_reports_duplicate_ids_and_keeps_to_the_limits(tmp_path, backend):
    rebuild_index([str(TRIALS / "xml" / "NCT00002845.xml")], tmp_path, backend=backend)
    study = (TRIALS / "json" / "NCT00042536.json").read_text()
    twice = tmp_path / "twice.json"
    twice.write_text(f"[{study},\n{study}]")
    report = update_index([str(twice)], tmp_path)
    assert report.duplicates == [(str(twice), 1, ("NCT00042536",))]
    with pytest.raises(BuildFailed):  # the one input is past the limit: nothing applied
        update_index([str(twice)], tmp_path, limits=Limits(max_json_record=4 << 10))
