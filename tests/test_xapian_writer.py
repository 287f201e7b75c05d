"""The Xapian backend's Writer: updates of a copy of the live build, replace and delete by id,
what the build held before, cancel, kill -9 safety, and readers following a switch."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_xapian import DATA, FIXTURES, build_xapian, run, words

from indexer import store
from indexer.build import BuildReport, collect_sources
from indexer.documents import MeshLookup, record_id, to_document
from indexer.parse import parse_source
from search import fields as f
from search.analysis import weighted_text
from search.errors import DocumentNotFound
from search.store import current_build
from search.xapian import Reader, exists_in, update

ROOT = Path(__file__).parent.parent
TRIAL = "NCT00002845"  # a melanoma trial of the fixtures
NEW_WORD = "zebrafishy"  # in no fixture record


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """A fresh Xapian index of the fixtures (function-scoped: tests write to it)."""
    build_xapian(FIXTURES, tmp_path)
    return tmp_path


def changed_document(record: str = TRIAL) -> dict:
    """The real document of a fixture trial, with a new word in its title (an edited study)."""
    sources = collect_sources([str(DATA / "trials")], BuildReport(), lambda event, n: None)
    for source in sources:
        for rec in parse_source(source):
            if getattr(rec, "nct_id", "") == record:
                doc = to_document(rec, MeshLookup())
                doc[f.TITLE] = f"{NEW_WORD} {doc[f.TITLE]}"
                doc[f.ALL] += weighted_text([(3.0, NEW_WORD)])
                assert record_id(rec) == record
                return doc
    raise AssertionError(f"{record} is not in the fixtures")


def found(reader: Reader, text: str) -> set[str]:
    return {h.id for h in run(reader, words(text), q=text, size=50).hits}


def test_update_replaces_and_deletes_in_a_copy_then_readers_follow_the_switch(live):
    reader = Reader(live)
    before = reader.status()["counts"]
    old = current_build(live)
    build = store.new_build_dir(live)
    writer = update(old, build)
    held = writer.stored(TRIAL)
    assert (held.id, held.type) == (TRIAL, "trial") and held.record["nct_id"] == TRIAL
    assert len(held.hash) == 40
    melanoma = writer.ids_with(f.MESH_UI, "D008545")
    assert len(melanoma) == run(reader, None, q="", filters=(("mesh", ("D008545",)),)).total
    assert writer.stored("NCT99999999") is None and writer.ids_with(f.MESH_UI, "D0") == []

    writer.add(TRIAL, changed_document())
    assert writer.delete("D008545") and not writer.delete("NCT99999999")
    assert writer.stored("D008545") is not None, "stored() is the build before the writer"
    writer.commit()
    store.write_meta(build, store.read_build_meta(old))
    assert found(reader, NEW_WORD) == set(), "nothing is visible before the switch"

    store.switch_to(live, build)
    assert found(reader, NEW_WORD) == {TRIAL}
    assert reader.status()["counts"] == {**before, "mesh": before["mesh"] - 1}
    with pytest.raises(DocumentNotFound):
        reader.get("D008545")
    assert reader_of_build(old).get("D008545")["heading"] == "Melanoma", "the old build is kept"


def reader_of_build(build: Path) -> Reader:
    """A reader of one build folder (through a `current` link of its own)."""
    link = build.parent.parent / "view"
    link.mkdir(exist_ok=True)
    current = link / "current"
    if current.is_symlink():
        current.unlink()
    current.symlink_to(build)
    return Reader(link)


def test_cancel_forgets_the_writes(live):
    old = current_build(live)
    build = store.new_build_dir(live)
    writer = update(old, build)
    writer.add(TRIAL, changed_document())
    writer.cancel()
    assert not exists_in(build)
    assert exists_in(old) and found(Reader(live), NEW_WORD) == set()


KILLED_UPDATE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    sys.path[:0] = [{root!r}, {tests!r}]
    from indexer import store
    from search.store import current_build
    from search.xapian import update
    from test_xapian_writer import TRIAL, changed_document
    live = Path({index!r})
    build = store.new_build_dir(live)
    writer = update(current_build(live), build)
    writer.add(TRIAL, changed_document())
    writer.delete("D008545")
    if {committed!r}:
        writer.commit()
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.parametrize("committed", [False, True], ids=["while-writing", "before-switch"])
def test_kill_9_leaves_the_live_build_untouched(live, committed):
    before = current_build(live)
    counts = Reader(live).status()["counts"]
    script = KILLED_UPDATE.format(
        root=str(ROOT), tests=str(ROOT / "tests"), index=str(live), committed=committed
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert current_build(live) == before
    reader = Reader(live)
    assert reader.status()["counts"] == counts
    assert reader.get("D008545")["heading"] == "Melanoma" and found(reader, NEW_WORD) == set()
    store.prune_builds(live)  # the unfinished build (no meta.json) goes
    assert [p.name for p in (live / store.BUILDS).iterdir()] == [before.name]
