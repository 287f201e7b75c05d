"""The index folder: atomic switch between builds, pruning, the writer lock."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from indexer import store
from indexer.errors import IndexLocked
from search.store import current_build


def _fake_build(index_dir, name, complete=True):
    path = index_dir / store.BUILDS / name
    path.mkdir(parents=True)
    if complete:
        (path / "meta.json").write_text("{}")
    return path


def test_switch_points_current_at_the_new_build(tmp_path):
    first = _fake_build(tmp_path, "20260101T000000-1")
    store.switch_to(tmp_path, first)
    assert os.readlink(tmp_path / "current") == "builds/20260101T000000-1"
    second = _fake_build(tmp_path, "20260102T000000-1")
    store.switch_to(tmp_path, second)
    assert os.readlink(tmp_path / "current") == "builds/20260102T000000-1"
    assert not list(tmp_path.glob(".current*")), "no temporary link is left behind"


def test_prune_keeps_the_live_build_and_the_one_before(tmp_path):
    names = [f"2026010{i}T000000-1" for i in range(1, 6)]
    builds = [_fake_build(tmp_path, n) for n in names]
    crashed = _fake_build(tmp_path, "20260109T000000-9", complete=False)
    store.switch_to(tmp_path, builds[-1])
    left = sorted(p.name for p in (tmp_path / store.BUILDS).iterdir())
    assert left == names[-2:]
    assert not crashed.exists()


def test_current_build_is_none_without_a_whoosh_index(tmp_path):
    assert current_build(tmp_path) is None
    store.switch_to(tmp_path, _fake_build(tmp_path, "20260101T000000-1"))
    assert current_build(tmp_path) is None  # the folder holds no Whoosh index


def _hold_lock(index_dir, ready, release):
    with store.index_lock(index_dir):
        ready.set()
        release.wait(30)


def test_second_writer_waits_then_fails_naming_the_holder(tmp_path):
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(tmp_path, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        started = time.monotonic()
        with pytest.raises(IndexLocked, match=f"index is locked by {holder.pid}"):
            with store.index_lock(tmp_path, timeout=0.5):
                pass
        assert 0.5 <= time.monotonic() - started < 5
    finally:
        release.set()
        holder.join(10)
    with store.index_lock(tmp_path, timeout=0.5):  # free again once the holder is gone
        pass
