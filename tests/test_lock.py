"""Two indexer commands at once, end to end: the second waits its --lock-timeout, then exits 1
with "index is locked by <pid>"; the first goes on undisturbed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from indexer.build import rebuild_index
from search.store import current_build

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
SAMPLE = ROOT / "data" / "sample"


def test_a_second_command_waits_then_names_the_holder(tmp_path, backend):
    index = tmp_path / "index"
    rebuild_index([str(DATA / "trials" / "xml")], index, backend=backend)
    live = current_build(index)
    # a long build (the sample data takes minutes) holds the lock while the others try
    first = subprocess.Popen(
        [sys.executable, "-m", "indexer", "build", "--index", str(index), "--backend", backend,
         str(SAMPLE)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        lock = index / "lock"  # the holder writes its pid there once it holds the lock
        while not lock.exists() or lock.read_text() != str(first.pid):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        for command in ("update", "sync", "build"):
            started = time.monotonic()
            args = ["--lock-timeout", "1", *([] if command == "sync" else [str(DATA / "trials")])]
            second = subprocess.run(
                [sys.executable, "-m", "indexer", command, "--index", str(index), *args],
                cwd=ROOT, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            waited = time.monotonic() - started
            assert second.returncode == 1
            assert second.stderr.startswith(f"error: index is locked by {first.pid}:")
            assert 1.0 <= waited < 15
        assert first.poll() is None, "the first command is still running"
        assert current_build(index) == live
    finally:
        first.kill()
        first.wait(30)
