"""`python -m indexer` as an operator runs it: exit codes, summary, status --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    text = run("status", "--index", str(tmp_path)).stdout
    assert "trial" in text and "25" in text


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
