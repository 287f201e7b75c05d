"""Run `python -m indexer ARGS...`, killing the process (SIGKILL) on the n-th call of a function.

    python tests/kill_at.py MODULE:ATTRIBUTE.PATH N ARGS...

Used by tests/test_crash.py and bench/crash_trials.py to crash the indexer at chosen points.
"""

import importlib
import os
import runpy
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo: indexer, search
target, nth = sys.argv[1], int(sys.argv[2])
module, _, path = target.partition(":")
owner = importlib.import_module(module)
*parents, name = path.split(".")
for parent in parents:
    owner = getattr(owner, parent)
original, calls = getattr(owner, name), [0]


def hooked(*args, **kwargs):
    calls[0] += 1
    if calls[0] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)


setattr(owner, name, hooked)
sys.argv = ["indexer", *sys.argv[3:]]
runpy.run_module("indexer", run_name="__main__")
