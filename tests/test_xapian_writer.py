"""The Xapian backend's Writer: updates of a copy of the live build (made on the first write),
replace and delete by id, what the build held before, cancel, kill -9 safety, readers following
a switch, and the file system's refusals as one OSError naming the file or folder."""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_xapian import DATA, FIXTURES, build_xapian, run, words

from indexer import store
from indexer.build import BuildReport, collect_sources
from indexer.content import record_id
from indexer.documents import MeshLookup, to_document
from indexer.parse import parse_source
from search import fields as f
from search.analysis import weighted_text
from search.errors import DocumentNotFound
from search.store import current_build
from search.xapian import Reader, create, exists_in, update
from search.xapian.schema import DB_DIR

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


def test_an_update_copies_the_live_database_on_its_first_write_only(live):
    """An update that changes nothing (the same files applied again) copies nothing."""
    old = current_build(live)
    build = store.new_build_dir(live)
    writer = update(old, build)
    assert writer.stored(TRIAL) is not None and writer.ids_with(f.MESH_UI, "D008545")
    assert not (build / DB_DIR).exists(), "reading what the build held copies nothing"
    writer.cancel()
    assert not (build / DB_DIR).exists()
    writer = update(old, build)
    assert writer.delete("D008545") and exists_in(build)
    assert writer.add(TRIAL, changed_document()), "the copy holds the live records"
    writer.commit()
    assert writer.counts()["mesh"] == Reader(live).status()["counts"]["mesh"] - 1


def test_a_database_the_file_system_refuses_is_an_os_error_naming_it(tmp_path):
    tmp_path.chmod(0o555)
    try:
        if os.access(tmp_path, os.W_OK):  # root ignores permissions: a folder that is a file
            (tmp_path / "build").write_text("")
        with pytest.raises(OSError) as refused:
            create(tmp_path / "build")
    finally:
        tmp_path.chmod(0o755)
    assert refused.value.errno in (errno.EACCES, errno.ENOTDIR)
    assert refused.value.filename == str(tmp_path / "build" / DB_DIR)
    assert isinstance(refused.value.__cause__, Exception)


def test_a_full_disk_while_writing_the_copy_is_one_line(live):
    """RLIMIT_FSIZE past the live database's largest file: the copy is made, then a write of
    the update is refused (a xapian.DatabaseError naming a block, not a file)."""
    largest = max(p.stat().st_size for p in (current_build(live) / DB_DIR).iterdir())
    before = current_build(live)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (largest + 4096, largest + 4096))

    cmd = [sys.executable, "-m", "indexer", "update", "--index", str(live), str(DATA / "records")]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, preexec_fn=limit)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("error: cannot write the index: File too large (")
    assert f"{live / store.BUILDS}/" in line and line.endswith("; the live index is unchanged")
    assert current_build(live) == before
    assert [p.name for p in (live / store.BUILDS).iterdir()] == [before.name]


def spelling_frequency(build: Path, word: str) -> int:
    """How many records of the build hold `word` in their did-you-mean vocabulary (the SPELL
    field's terms: what search/xapian/view.py counts)."""
    import xapian

    db = xapian.Database(str(build / DB_DIR))
    try:
        return db.get_termfreq(f"XSPELL:{word}")
    finally:
        db.close()


def spelling_table(build: Path) -> list[bytes]:
    import xapian

    db = xapian.Database(str(build / DB_DIR))
    try:
        return [s.term for s in db.spellings()]
    finally:
        db.close()


def test_spelling_frequencies_follow_replacements_and_deletions(live):
    """Did-you-mean's vocabulary is the records' SPELL terms: a record replaced counts once,
    a deleted record's words go; no build writes Xapian's spelling table (never read)."""
    doc = changed_document()
    doc[f.SPELL] = f"{doc.get(f.SPELL, '')} {NEW_WORD}"
    old = current_build(live)
    assert spelling_table(old) == [], "a build writes no spelling table"
    assert spelling_frequency(old, "melanoma") > 1
    build = store.new_build_dir(live)
    writer = update(old, build)
    assert writer.add(TRIAL, doc) and writer.add(TRIAL, doc)
    writer.commit()
    assert spelling_frequency(build, NEW_WORD) == 1
    assert spelling_frequency(build, "melanoma") == spelling_frequency(old, "melanoma")

    again = store.new_build_dir(live)
    writer = update(build, again)
    assert writer.delete(TRIAL)
    writer.commit()
    assert spelling_frequency(again, NEW_WORD) == 0
    assert spelling_frequency(again, "melanoma") == spelling_frequency(old, "melanoma") - 1
    assert spelling_table(again) == []


def test_a_new_build_appends_first_copies_and_replaces_repeats(tmp_path):
    """A new build appends a record met for the first time (no id look-up); a repeat of it
    replaces it, its spelling words forgotten; a deleted record may come again."""
    import xapian

    build = tmp_path / "build"
    build.mkdir()
    writer = create(build)
    first, second = changed_document(), changed_document()
    first[f.SPELL] = f"{first.get(f.SPELL, '')} {NEW_WORD}"
    # its content differs from the second copy's, so does its hash (as to_document makes it: an
    # unchanged copy is not written again, tests/test_xapian_pipeline.py)
    first[f.HASH] = second[f.HASH][::-1]
    assert not writer.add(TRIAL, first) and not writer.add(
        "NCT99999999", first | {f.ID: "NCT99999999"}
    )
    assert writer.add(TRIAL, second), "a repeat within the build replaces the first copy"
    assert writer.delete("NCT99999999") and not writer.delete("NCT99999999")
    assert not writer.delete("D008545"), "not in this build"
    assert not writer.add("NCT99999999", second | {f.ID: "NCT99999999"}), "deleted: new again"
    writer.commit()
    db = xapian.Database(str(build / DB_DIR))
    try:
        assert db.get_doccount() == 2
        assert [db.get_termfreq(f"Q{i}") for i in (TRIAL, "NCT99999999")] == [1, 1]
        assert spelling_frequency(build, NEW_WORD) == 0, "the replaced copies' words went"
        assert spelling_frequency(build, "melanoma") == 2
    finally:
        db.close()
