"""`python -m indexer` as an operator runs it: exit codes, summary, status --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import hostile_files

from search import SearchEngine
from search.backend import BACKENDS
from search.store import current_build

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "indexer", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_build_then_status(tmp_path):
    done = run("build", "--index", str(tmp_path), str(DATA / "trials"), str(DATA / "mesh"))
    assert done.returncode == 0, done.stderr
    assert "Indexed 51 records (25 trial, 0 article, 26 mesh)" in done.stdout
    assert "records/s" in done.stdout
    status = run("status", "--index", str(tmp_path), "--json")
    assert status.returncode == 0
    info = json.loads(status.stdout)
    assert info["counts"] == {"trial": 25, "article": 0, "mesh": 26}
    assert info["snapshots"]["ctgov"] == "2024-12-16"
    assert info["built_at"] and info["updated_at"] is None
    assert info["backend"] == "whoosh"  # the default
    text = run("status", "--index", str(tmp_path)).stdout
    assert "trial" in text and "25" in text and ", whoosh, " in text


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_backend_is_recorded_and_updates_use_it(tmp_path, backend):
    trial = DATA / "trials" / "xml" / "NCT00002845.xml"
    done = run("build", "--index", str(tmp_path), "--backend", backend, str(trial))
    assert done.returncode == 0, done.stderr
    meta = json.loads((current_build(tmp_path) / "meta.json").read_text())
    assert meta["backend"] == backend
    done = run("update", "--index", str(tmp_path), str(DATA / "trials" / "json"))
    assert done.returncode == 0, done.stderr
    meta = json.loads((current_build(tmp_path) / "meta.json").read_text())
    assert (meta["backend"], meta["counts"]["trial"]) == (backend, 9)
    same = run("update", "--index", str(tmp_path), "--backend", backend, str(trial))
    assert same.returncode == 0 and same.stdout.startswith("Nothing to change"), same.stderr
    info = json.loads(run("status", "--index", str(tmp_path), "--json").stdout)
    assert info["backend"] == backend


@pytest.mark.parametrize(
    "built, other", [(a, b) for a in BACKENDS for b in BACKENDS if a != b]
)  # needs two backends registered in search/backend.py
def test_update_with_another_backend_is_a_usage_error(tmp_path, built, other):
    trial = DATA / "trials" / "xml" / "NCT00002845.xml"
    assert run("build", "--index", str(tmp_path), "--backend", built, str(trial)).returncode == 0
    live = current_build(tmp_path)
    for command in ("update", "sync"):
        args = [str(trial)] if command == "update" else []
        done = run(command, "--index", str(tmp_path), "--backend", other, *args)
        assert done.returncode == 2
        assert f"the index in {tmp_path} was built with {built}" in done.stderr
        assert current_build(tmp_path) == live


def test_an_unknown_backend_is_a_usage_error(tmp_path):
    done = run("build", "--index", str(tmp_path), "--backend", "lucene", str(DATA / "mesh"))
    assert done.returncode == 2
    assert "invalid choice: 'lucene'" in done.stderr
    assert current_build(tmp_path) is None


def test_failed_build_exits_1_and_names_every_file(tmp_path):
    done = run(
        "build",
        "--index",
        str(tmp_path),
        str(DATA / "broken" / "empty.xml"),
        str(tmp_path / "missing.xml"),
    )
    assert done.returncode == 1
    assert f"skipped file {DATA / 'broken' / 'empty.xml'}: the file is empty" in done.stdout
    assert "no such file or folder" in done.stdout
    assert "error: nothing was indexed" in done.stderr
    assert run("status", "--index", str(tmp_path)).returncode == 1  # still no index


def test_usage_errors_exit_2(tmp_path):
    assert run("build", "--index", str(tmp_path)).returncode == 2  # no PATH
    assert run("frobnicate").returncode == 2


def test_status_without_index_says_how_to_build(tmp_path):
    done = run("status", "--index", str(tmp_path))
    assert done.returncode == 1
    assert "python -m indexer build" in done.stdout


def test_a_folder_of_hostile_files_gives_one_line_each_and_indexes_the_rest(tmp_path):
    reasons = hostile_files(tmp_path / "in", bomb_mib=8)  # past the default 4 MiB floor
    os.mkfifo(tmp_path / "in" / "pipe")  # opened, it would hang the build (timeout: 120 s)
    done = run("build", "--index", str(tmp_path / "ix"), str(tmp_path / "in"),
               str(DATA / "trials" / "xml" / "NCT00002845.xml"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    for path, reason in reasons.items():
        [line] = [n for n in lines if n.startswith(f"skipped file {path}: ")]
        assert reason in line
    assert f"skipped file {tmp_path / 'in' / 'pipe'}: not a regular file (a FIFO)" in done.stdout
    assert "Indexed 2 records (2 trial, 0 article, 0 mesh) from 6 files" in done.stdout


def test_status_counts_what_the_index_holds_not_what_meta_json_says(tmp_path):
    """The reader counts live documents; meta.json is only the build's own note of them."""
    trial = DATA / "trials" / "xml" / "NCT00002845.xml"
    assert run("build", "--index", str(tmp_path), str(trial)).returncode == 0
    meta_file = current_build(tmp_path) / "meta.json"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "counts": {"trial": 7, "article": 0, "mesh": 0}}))
    info = json.loads(run("status", "--index", str(tmp_path), "--json").stdout)
    assert info["counts"] == {"trial": 1, "article": 0, "mesh": 0}
    assert SearchEngine(tmp_path).status()["counts"] == info["counts"]
