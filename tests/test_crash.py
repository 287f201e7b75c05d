"""kill -9 during build, update and sync; disk full and permission denied.

Each command runs as a real `python -m indexer` process and is killed with SIGKILL either at a
chosen point (the process kills itself on the n-th call of a function: while writing, between
a commit and the switch, right after the switch, while paging, after a download but before its
check, after a sync step but before its state is saved) or after a seeded random delay. After
every kill the live index must be a complete build (meta.json present, counts what its
reader counts) holding the old or the new data; then rerunning the command must finish the job.
More kill points and random trials, also on the full data: bench/crash_trials.py.
Every test runs on each backend, killed at that backend's points (while adding a document,
before its commit).
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from nobody import as_nobody
from upstream import SAMPLE, Upstream, gzipped, sample_studies

from indexer.build import rebuild_index
from search.engine import SearchEngine
from search.models import SearchRequest
from search.store import current_build

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
FIXTURES = [DATA / "trials", DATA / "pubmed", DATA / "mesh"]
NEW_STUDIES = [DATA / "trials" / "json", DATA / "trials" / "both" / "json"]
KILL_AT = (
    Path(__file__).parent / "kill_at.py"
)  # runs the CLI, SIGKILL on the n-th call of a function
# (add a document while building; while updating; commit, nth call while updating), per backend
POINTS = {
    "whoosh": {  # a Whoosh commit writes its table of contents last
        "build": "whoosh.writing:SegmentWriter.add_document",
        "add": "whoosh.writing:SegmentWriter.add_document",
        "commit": ("whoosh.index:TOC.write", 2),
    },
    "xapian": {  # a build sends each record to its writer process (search/xapian/pipeline.py);
        # an update copies the live database on its first add and replaces records by id
        "build": "search.xapian.pipeline:ForkedWriter.add",
        "add": "xapian:WritableDatabase.replace_document",
        "commit": ("xapian:WritableDatabase.commit", 1),
    },
}


def indexer(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "indexer", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def kill_at(point: str, nth: int, *args: str) -> None:
    cmd = [sys.executable, str(KILL_AT), point, str(nth), *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, f"{point} #{nth} not reached: {done.stderr}"


def kill_after(delay: float, *args: str) -> bool:
    """SIGKILL after `delay` seconds; False if the command had finished by then."""
    proc = subprocess.Popen([sys.executable, "-m", "indexer", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        proc.wait(delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        return True


def served(index: Path) -> dict[str, int]:
    """The live build's counts, after checking it is whole: an index with meta.json, whose
    counts are what the index holds (as its backend's reader counts), and which answers a
    search."""
    build = current_build(index)
    assert build is not None
    meta = json.loads((build / "meta.json").read_text())
    engine = SearchEngine(index)
    counts = engine.status()["counts"]
    assert counts == meta["counts"]
    assert engine.search(SearchRequest(q="melanoma")).total >= 0
    return counts


def test_kill_9_during_a_build(tmp_path, backend):
    index = tmp_path / "index"
    rebuild_index([str(DATA / "trials" / "xml")], index, backend=backend)
    old, new = {"trial": 12, "article": 0, "mesh": 0}, {"trial": 25, "article": 26, "mesh": 26}
    args = ("build", "--index", str(index), "--backend", backend, *map(str, FIXTURES))
    add = POINTS[backend]["build"]
    for point, nth in [(add, 40), ("indexer.store:switch_to", 1)]:  # writing; before switch
        kill_at(point, nth, *args)
        assert served(index) == old, point
    kill_at("indexer.store:prune_builds", 1, *args)  # after the switch
    assert served(index) == new
    for delay in sorted(random.Random(5).uniform(0.3, 2.5) for _ in range(2)):
        kill_after(delay, *args)
        assert served(index) in (old, new)
    done = indexer(*args, "--lock-timeout", "1")  # the killed holders left no lock behind
    assert done.returncode == 0, done.stderr
    assert served(index) == new
    builds = sorted((index / "builds").iterdir())
    assert len(builds) == 2 and all((b / "meta.json").exists() for b in builds)


@pytest.mark.parametrize("shards", [1, 2])
def test_a_killed_xapian_writer_process_fails_the_build_in_one_line(tmp_path, shards):
    """A build's writer process (search/xapian/pipeline.py) killed while it adds documents: the
    indexer stops with one line and the live index stays; killed the other way round (the
    indexer), its writers die with it and leave the lock free at once."""
    index = tmp_path / "index"
    rebuild_index([str(DATA / "trials" / "xml")], index, backend="xapian")
    live = os.readlink(index / "current")
    args = ("build", "--index", str(index), "--backend", "xapian", "--shards", str(shards))
    args += tuple(map(str, FIXTURES))
    cmd = [sys.executable, str(KILL_AT), "xapian:WritableDatabase.add_document", "30", *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.splitlines()
    which = "shard " if shards > 1 else "the database"
    assert line.startswith(f"error: cannot write the index: the writer of {which}")
    assert "stopped (-9)" in line and line.endswith("; the live index is unchanged")
    assert os.readlink(index / "current") == live
    kill_at("search.xapian.pipeline:ForkedWriter.add", 40, *args)
    done = indexer(*args, "--lock-timeout", "0")
    assert done.returncode == 0, done.stderr
    assert served(index) == {"trial": 25, "article": 26, "mesh": 26}


def test_kill_9_during_an_update(tmp_path, backend):
    index = tmp_path / "index"
    sources = [str(DATA / "trials" / "xml"), str(DATA / "pubmed"), str(DATA / "mesh")]
    rebuild_index(sources, index, backend=backend)
    old, new = {"trial": 12, "article": 26, "mesh": 26}, {"trial": 25, "article": 26, "mesh": 26}
    both = DATA / "trials" / "both"  # the xml copies are added, then replaced by newer json
    inputs = [both / "xml", both / "json", DATA / "trials" / "json"]
    args = ("update", "--index", str(index), *map(str, inputs))
    points = [
        (POINTS[backend]["add"], 3),
        POINTS[backend]["commit"],
        ("indexer.store:switch_to", 1),
    ]
    for point, nth in points:
        kill_at(point, nth, *args)
        assert served(index) == old, point
    for delay in sorted(random.Random(7).uniform(0.3, 2.0) for _ in range(2)):
        kill_after(delay, *args)
        assert served(index) in (old, new)
    done = indexer(*args)
    assert done.returncode == 0, done.stderr
    assert served(index) == new
    again = indexer(*args).stdout
    assert again.startswith("Nothing to change: 0 added, 0 replaced, 13 unchanged, 0 deleted;")
    assert "5 older copies of indexed studies ignored" in again


@pytest.fixture
def upstream():
    pubmed = {
        "medline16n0902.xml.gz": gzipped(DATA / "pubmed" / "medline16n0902_selection.xml"),
        "pubmed21n1298.xml.gz": gzipped(DATA / "pubmed" / "pubmed21n1298_selection.xml"),
    }
    mesh = {"desc2016.xml": (SAMPLE / "mesh" / "desc-samples.xml").read_bytes()}
    with Upstream(sample_studies(), pubmed, mesh, max_page=3) as server:
        yield server


def test_kill_9_during_a_sync(tmp_path, upstream, backend):
    index = tmp_path / "index"
    rebuild_index([str(DATA / "trials" / "xml"), str(DATA / "mesh")], index, backend=backend)
    old = {"trial": 12, "article": 0, "mesh": 26}
    new = {"trial": 19, "article": 11, "mesh": 43}
    args = ("sync", "--index", str(index), "--since", "2025-11-01", "--mesh-year", "2014",
            "--interval", "0", "--ctgov-url", f"{upstream.url}/api/v2/studies",
            "--pubmed-url", f"{upstream.url}/pubmed/updatefiles/",
            "--mesh-url", f"{upstream.url}/mesh/")  # fmt: skip
    seen = [old]
    points = [
        ("indexer.sync:SyncState.save", 3),  # CT.gov: while paging
        ("indexer.sync:SyncState.done", 1),  # CT.gov: switched, state not saved
        ("indexer.fetch:file_md5", 1),  # PubMed: downloaded to .part, not verified
        ("indexer.sync:SyncState.done", 2),  # PubMed file 1 applied, state not saved
        ("indexer.store:switch_to", 1),  # the next step (PubMed file 2): before its switch
    ]
    for point, nth in points:
        kill_at(point, nth, *args)
        now = served(index)
        assert now == seen[-1] or now not in seen, point  # never back to an older state
        seen.append(now)
    done = indexer(*args)
    assert done.returncode == 0, done.stderr
    assert served(index) == new
    state = json.loads((index / "sync" / "state.json").read_text())
    assert state["pubmed"]["applied"] == ["medline16n0902.xml.gz", "pubmed21n1298.xml.gz"]
    assert state["mesh"]["year"] == 2016 and "run" not in state["ctgov"]
    assert not any((index / "sync" / "pubmed").iterdir())


def test_a_full_disk_fails_cleanly_and_leaves_the_live_index(tmp_path, backend):
    """The file size limit (RLIMIT_FSIZE) makes the kernel refuse writes past 64 KB, as a
    full disk would (EFBIG instead of ENOSPC); a full tmpfs is tried when it can be mounted.
    The error is one line (Xapian's name the database file or folder)."""
    index = tmp_path / "index"
    rebuild_index([str(DATA / "trials" / "xml")], index, backend=backend)
    live = os.readlink(index / "current")

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))

    for command in ("update", "build"):
        chosen = ["--backend", backend] if command == "build" else []
        cmd = [sys.executable, "-m", "indexer", command, "--index", str(index), *chosen]
        cmd += map(str, FIXTURES)
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, preexec_fn=limit)
        assert done.returncode == 1
        [line] = done.stderr.splitlines()
        assert line.startswith("error: cannot write the index: File too large")
        assert line.endswith("; the live index is unchanged")
        if backend == "xapian":
            assert f" ({index / 'builds'}/" in line, "names the file or folder"
        assert os.readlink(index / "current") == live
        assert [b.name for b in (index / "builds").iterdir()] == [Path(live).name]
    assert served(index) == {"trial": 12, "article": 0, "mesh": 0}


def test_a_full_disk_during_a_sharded_update_is_one_line(tmp_path):
    """An update of a sharded Xapian build copies each changed shard: a refused write while
    copying is one line naming the file, and the live build stays."""
    index = tmp_path / "index"
    rebuild_index([str(DATA / "trials" / "xml")], index, backend="xapian", shards=2)
    live = os.readlink(index / "current")

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))

    cmd = [sys.executable, "-m", "indexer", "update", "--index", str(index), *map(str, FIXTURES)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, preexec_fn=limit)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("error: cannot write the index: File too large")
    assert f" ({index / 'builds'}/" in line and line.endswith("; the live index is unchanged")
    assert os.readlink(index / "current") == live
    assert [b.name for b in (index / "builds").iterdir()] == [Path(live).name]
    assert served(index) == {"trial": 12, "article": 0, "mesh": 0}


def test_a_full_tmpfs(tmp_path, backend):
    mount = tmp_path / "small"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
        ).returncode
    ):
        pytest.skip("cannot mount a small tmpfs here")
    try:
        index = mount / "index"
        rebuild_index([str(DATA / "trials" / "xml" / "NCT00002845.xml")], index, backend=backend)
        live = os.readlink(index / "current")
        done = indexer("update", "--index", str(index), *map(str, FIXTURES))
        assert done.returncode == 1
        assert "error: cannot write the index: No space left on device" in done.stderr
        assert os.readlink(index / "current") == live
        assert [b.name for b in (index / "builds").iterdir()] == [Path(live).name]
        assert served(index) == {"trial": 1, "article": 0, "mesh": 0}
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_permission_denied_fails_cleanly(tmp_path, backend):
    """Run as an unprivileged user (root ignores permissions) on an index it may not write.
    As root the indexer runs as nobody, from copies of what nobody cannot read where the
    checkout is (tests/nobody.py): the test passes in a private clone too."""
    folder = Path(tempfile.mkdtemp(prefix="ro-index-"))
    try:
        folder.chmod(0o755)
        index = folder / "index"
        rebuild_index([str(DATA / "trials" / "xml" / "NCT00002845.xml")], index, backend=backend)
        live = os.readlink(index / "current")

        python, env, cwd = [sys.executable], {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, ROOT
        studies = DATA / "trials"
        if os.geteuid() == 0:  # as root: run the indexer as nobody (util-linux's setpriv)
            python, env, (studies,) = as_nobody(folder, studies)
            cwd = folder
        else:
            index.chmod(0o555)
        for command in ("update", "build"):
            cmd = [*python, "-m", "indexer", command, "--index", str(index), str(studies)]
            cmd += ["--backend", backend] if command == "build" else []
            done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
            assert done.returncode == 1, done.stderr
            assert f"error: cannot write to {index}: permission denied" in done.stderr
        assert os.readlink(index / "current") == live
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_lock_is_released_by_the_kernel_when_its_holder_is_killed(tmp_path, backend):
    index = tmp_path / "index"
    rebuild_index([str(DATA / "trials" / "xml")], index, backend=backend)
    started = time.monotonic()
    kill_at(POINTS[backend]["add"], 2, "update", "--index", str(index), *map(str, NEW_STUDIES))
    done = indexer("update", "--index", str(index), "--lock-timeout", "0", *map(str, NEW_STUDIES))
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30
