"""`sync` against a real HTTP server on 127.0.0.1 serving real records in the upstream layouts
(tests/upstream.py): CT.gov API pages, PubMed update files with .md5, a newer MeSH year."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from upstream import SAMPLE, Upstream, gzipped, sample_studies

from indexer.build import rebuild_index
from indexer.errors import IndexerError
from indexer.fetch import Fetcher, FetchError, HttpSettings
from indexer.sync import SyncSettings, run_sync
from search.engine import SearchEngine
from search.store import current_build

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
FAST = HttpSettings(timeout=5, retries=2, backoff=0.01, interval=0)
PUBMED = {  # real NLM update files (file names as NLM published them), cut down to fixtures
    "medline16n0902.xml.gz": gzipped(DATA / "pubmed" / "medline16n0902_selection.xml"),
    "pubmed21n1298.xml.gz": gzipped(DATA / "pubmed" / "pubmed21n1298_selection.xml"),
}
MESH = {"desc2016.xml": (SAMPLE / "mesh" / "desc-samples.xml").read_bytes()}  # 43, MeSH 2016


@pytest.fixture(scope="module")
def base_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 legacy studies (CT.gov data of 2023-02-03), 10 baseline citations, 26 MeSH 2014."""
    path = tmp_path_factory.mktemp("base")
    sources = [DATA / "trials" / "xml", DATA / "pubmed" / "pubmed20n0014_selection.xml.gz"]
    rebuild_index([str(p) for p in [*sources, DATA / "mesh"]], path)
    return path


@pytest.fixture
def index(base_index: Path, tmp_path: Path) -> Path:
    path = tmp_path / "index"
    shutil.copytree(base_index, path, symlinks=True)
    return path


@pytest.fixture(scope="module")
def upstream():
    with Upstream(sample_studies(), dict(PUBMED), dict(MESH)) as server:
        yield server


def settings(server: Upstream, **kw) -> SyncSettings:
    return SyncSettings(
        ctgov_url=f"{server.url}/api/v2/studies",
        pubmed_url=f"{server.url}/pubmed/updatefiles/",
        mesh_url=f"{server.url}/mesh/",
        http=kw.pop("http", FAST),
        **kw,
    )


def sync(index: Path, server: Upstream, sources=("ctgov", "pubmed", "mesh"), **kw) -> list[str]:
    lines: list[str] = []
    server.log.clear()
    run_sync(index, list(sources), settings(server, **kw), lines.append)
    return lines


def state(index: Path) -> dict:
    return json.loads((index / "sync" / "state.json").read_text())


def test_first_sync_applies_what_changed_in_every_source(index, upstream):
    lines = sync(index, upstream, since="2024-12-16", mesh_year=2014)
    pages = [e["query"] for e in upstream.log if e["path"] == "/api/v2/studies"]
    assert len(pages) == 4  # 35 studies updated since 2024-12-16, 10 per page
    assert pages[0] == {
        "format": "json",
        "pageSize": "1000",
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2024-12-16,MAX]",
    }
    assert all("pageToken" in q for q in pages[1:])
    assert lines[0].startswith("ClinicalTrials.gov: 35 studies updated since 2024-12-16 (4 pages)")
    assert "Updated: 35 added" in lines[0]
    assert lines[1].startswith("PubMed medline16n0902.xml.gz: Updated: 3 added")  # in file order
    assert lines[2].startswith("PubMed pubmed21n1298.xml.gz: Updated: 8 added")
    assert "20 deletion notices for records not indexed" in lines[2]
    assert lines[3].startswith(
        "MeSH 2016 (desc2016.xml): Updated: 38 added, 4 replaced, 1 unchanged"
    )
    assert "21 deleted (42 mesh); 24 records re-indexed for changed MeSH" in lines[3]
    assert all(e["agent"].startswith("trials-search-indexer/") for e in upstream.log)
    info = SearchEngine(index).status()
    assert info["counts"] == {"trial": 47, "article": 21, "mesh": 43}
    assert info["snapshots"] == {"ctgov": "2025-12-09", "mesh": "2016", "pubmed": "2021-06-07"}
    today = datetime.now(UTC).date().isoformat()
    saved = state(index)
    assert saved["ctgov"]["last_sync"] == today and "run" not in saved["ctgov"]
    assert saved["pubmed"]["applied"] == list(PUBMED)
    assert saved["mesh"]["year"] == 2016
    assert sorted(p.name for p in (index / "sync").iterdir()) == ["mesh", "pubmed", "state.json"]
    assert not any((index / "sync" / "pubmed").iterdir()), "applied downloads are removed"

    # the next sync asks only for what changed since, and downloads nothing already applied
    live = os.readlink(index / "current")
    lines = sync(index, upstream)
    query = upstream.log[0]["query"]["filter.advanced"]
    assert query == f"AREA[LastUpdatePostDate]RANGE[{today},MAX]"
    assert upstream.paths() == ["/api/v2/studies", "/pubmed/updatefiles/", "/mesh/"]
    assert lines[1:] == [
        "PubMed: no new update file (2 listed, all applied).",
        "MeSH: 2016 is the newest descriptor file and is applied already.",
    ]
    assert os.readlink(index / "current") == live


def test_an_interrupted_paging_resumes_from_its_next_page_token(index, upstream):
    upstream.max_page, upstream.fail_pages = 3, 503  # page 2 fails on every try
    try:
        live = os.readlink(index / "current")
        with pytest.raises(IndexerError, match="ClinicalTrials.gov: .*HTTP 503.* rerun to resume"):
            sync(index, upstream, sources=("ctgov",), since="2025-11-01")
        saved = state(index)["ctgov"]["run"]
        assert saved["pages"] == 1 and saved["next"] and not saved["complete"]
        assert os.readlink(index / "current") == live, "nothing is applied before the last page"
        upstream.fail_pages = 0
        lines = sync(index, upstream, sources=("ctgov",))
        assert upstream.log[0]["query"]["pageToken"] == saved["next"], "resumed, not restarted"
        assert lines[0].startswith(
            "ClinicalTrials.gov: 7 studies updated since 2025-11-01 (3 pages)"
        )
        assert "Updated: 7 added" in lines[0]
    finally:
        upstream.max_page, upstream.fail_pages = 10, 0


def test_a_refused_saved_page_token_restarts_the_paging(index, upstream):
    (index / "sync").mkdir()
    run = {"since": "2025-11-01", "started": "2025-12-01", "next": "expired", "pages": 1}
    (index / "sync" / "state.json").write_text(json.dumps({"ctgov": {"run": run}}))
    lines = sync(index, upstream, sources=("ctgov",))
    assert upstream.log[0]["query"]["pageToken"] == "expired"
    assert "pageToken" not in upstream.log[1]["query"]
    assert lines[0].startswith("ClinicalTrials.gov: the saved page token was refused")
    assert lines[1].startswith("ClinicalTrials.gov: 7 studies updated since 2025-11-01 (1 page)")


def test_transient_errors_are_retried_with_backoff(tmp_path, upstream):
    upstream.fail = [503, 429]
    body = Fetcher(FAST).get(f"{upstream.url}/pubmed/updatefiles/")
    assert b"pubmed21n1298.xml.gz.md5" in body
    assert len(upstream.log) >= 3 and not upstream.fail


def test_a_broken_download_resumes_and_only_a_verified_file_is_used(tmp_path, upstream):
    name = "pubmed21n1298.xml.gz"
    upstream.log.clear()
    upstream.cut = {name}
    dest = tmp_path / name
    Fetcher(FAST).download(f"{upstream.url}/pubmed/updatefiles/{name}", dest, _md5(name))
    ranges = [e["range"] for e in upstream.log]
    assert ranges[0] == "" and ranges[1] == f"bytes={len(PUBMED[name]) // 2}-"
    assert dest.read_bytes() == PUBMED[name] and not (tmp_path / f"{name}.part").exists()
    with pytest.raises(FetchError, match="does not match its MD5 checksum"):
        Fetcher(FAST).download(
            f"{upstream.url}/pubmed/updatefiles/{name}", tmp_path / "x", "0" * 32
        )
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.part").exists()


def _md5(name: str) -> str:
    import hashlib

    return hashlib.md5(PUBMED[name]).hexdigest()


def test_a_file_with_a_wrong_md5_is_never_applied(index, upstream):
    upstream.bad_md5 = {"medline16n0902.xml.gz"}
    try:
        live = os.readlink(index / "current")
        with pytest.raises(IndexerError, match="PubMed: .* does not match its MD5 checksum"):
            sync(index, upstream, sources=("pubmed",))
        assert os.readlink(index / "current") == live
        assert not state(index)["pubmed"].get("applied")
        assert not any((index / "sync" / "pubmed").iterdir())
    finally:
        upstream.bad_md5 = set()


def test_a_file_that_cannot_be_read_whole_is_not_recorded_as_applied(index, upstream):
    """Upstream publishes a broken file (its .md5 matches): the records before the break are
    applied, but the file stays unapplied and its download is dropped."""
    broken = (DATA / "broken" / "truncated_pubmed.xml.gz").read_bytes()
    upstream.pubmed["pubmed21n1299.xml.gz"] = broken
    try:
        with pytest.raises(IndexerError, match="pubmed21n1299.xml.gz could not be read whole"):
            sync(index, upstream, sources=("pubmed",))
        assert state(index)["pubmed"]["applied"] == list(PUBMED)
        assert not any((index / "sync" / "pubmed").iterdir())
    finally:
        del upstream.pubmed["pubmed21n1299.xml.gz"]


def test_requests_are_spaced_by_the_rate_limit(upstream):
    fetch = Fetcher(HttpSettings(interval=0.15, retries=0))
    started = time.monotonic()
    for _ in range(3):
        fetch.get(f"{upstream.url}/mesh/")
    assert time.monotonic() - started >= 0.3  # the 2nd and 3rd waited their turn


def test_a_request_that_hangs_times_out(upstream):
    upstream.hang = 1.0
    try:
        with pytest.raises(FetchError, match="timed out"):
            Fetcher(HttpSettings(timeout=0.2, retries=1, backoff=0.01, interval=0)).get(
                f"{upstream.url}/mesh/"
            )
    finally:
        upstream.hang = 0.0


def test_cli_sync_exit_codes(index, upstream):
    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "indexer", "sync", "--index", str(index), *args]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)

    urls = ["--pubmed-url", f"{upstream.url}/pubmed/updatefiles/", "--interval", "0"]
    done = run("--source", "pubmed", *urls)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("PubMed medline16n0902.xml.gz: Updated: 3 added")
    live = current_build(index)
    dead = "http://127.0.0.1:9/api/v2/studies"  # the discard port: connection refused
    failed = run("--source", "ctgov", "--ctgov-url", dead, "--retries", "0", "--interval", "0")
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: ClinicalTrials.gov: http://127.0.0.1:9/api/v2/studies")
    assert current_build(index) == live
    assert run("--source", "nope").returncode == 2
