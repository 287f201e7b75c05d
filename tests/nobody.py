"""Run this project's Python as the unprivileged user nobody, wherever the checkout is.

Root ignores file permissions, so a test of "permission denied" runs the indexer as nobody
(util-linux's setpriv). Nobody cannot read a checkout in a private folder (a `mktemp -d`
folder, a 0700 home), nor a virtualenv inside it: what it cannot read is hard-linked (copied
when the filesystem does not allow it) into a folder it can read, and the interpreter is one it
can run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("indexer", "search", "nltk_data")  # what `python -m indexer` reads of the project


def as_nobody(folder: Path, *paths: Path) -> tuple[list[str], dict[str, str], list[Path]]:
    """(command prefix running Python as nobody, its environment, `paths` as nobody can read
    them) for running `python -m indexer` from `folder` (which nobody must be able to read).
    Skips the test when no Python of ours can be run by nobody."""
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot drop privileges")
    python = _interpreter()
    site = Path(sysconfig.get_paths()["purelib"])  # the same as platlib in a virtualenv
    wanted = [ROOT, site, *paths]
    readable = dict(zip(wanted, _readable(python, wanted), strict=True))
    source = ROOT
    if not readable[ROOT]:
        source = folder / "project"
        for name in PACKAGES:
            shutil.copytree(ROOT / name, source / name)  # copied: nltkdata refuses hard links
    if not readable[site]:
        site = _linked(site, folder / "site-packages")
    copies = [p if readable[p] else _linked(p, folder / "data" / p.name) for p in paths]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": f"{source}:{site}"}
    return [*NOBODY, python], env, copies


def _interpreter() -> str:
    """This Python, or one of the same version that nobody can run (a virtualenv's `python` in
    a private folder is out of reach; the interpreter it was made from may not be)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    base = getattr(sys, "_base_executable", "")
    which = shutil.which(f"python{version}") or ""
    candidates = [sys.executable, base, os.path.realpath(sys.executable), which]
    for python in dict.fromkeys(c for c in candidates if c):
        probe = subprocess.run(
            [*NOBODY, python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            cwd="/", capture_output=True, text=True,
        )  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return python
    pytest.skip(f"no Python {version} that nobody can run (tried {', '.join(candidates)})")


def _readable(python: str, paths: list[Path]) -> list[bool]:
    """Whether nobody can read each path (files) or list and enter it (folders)."""
    code = (
        "import json, os, sys; print(json.dumps([os.access(p, os.R_OK | "
        "(os.X_OK if os.path.isdir(p) else 0)) for p in sys.argv[1:]]))"
    )
    probe = subprocess.run([*NOBODY, python, "-c", code, *map(str, paths)], cwd="/",
                           capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(probe.stdout)


def _linked(source: Path, target: Path) -> Path:
    """A copy of `source` at `target`, its files hard-linked if the filesystem allows."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, copy_function=link)  # __pycache__ too: no recompiling
    else:
        link(str(source), str(target))
    return target
