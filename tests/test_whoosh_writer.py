"""The Whoosh backend's writers: replace and delete by id, reads of the live build, the
hard-link copy of an update, counting live documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer import store
from indexer.build import rebuild_index
from indexer.update import update_index
from search import fields as f
from search.store import current_build
from search.whoosh import writer as whoosh_writer
from search.whoosh.segments import count_types

pytestmark = pytest.mark.backends("whoosh")  # Whoosh's own internals

DATA = Path(__file__).parent / "data"
TRIALS = DATA / "trials"


@pytest.fixture
def index(index_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "index"
    shutil.copytree(index_dir, path, symlinks=True)
    return path


def test_count_types_leaves_out_replaced_documents(tmp_path):
    rebuild_index([str(TRIALS / "xml"), str(TRIALS / "both" / "xml")], tmp_path)
    update_index([str(TRIALS / "both" / "json")], tmp_path)  # 5 of the 17 replaced
    ix = whoosh_index.open_dir(str(current_build(tmp_path)), readonly=True)
    with ix.searcher() as s:
        assert s.doc_frequency(f.TYPE, f.TRIAL) == 22  # Whoosh counts them until a merge
        assert count_types(s.reader()) == {"trial": 17, "article": 0, "mesh": 0}
    ix.close()


def test_an_update_writer_reads_the_live_build_and_replaces_by_id(index):
    live = current_build(index)
    build = store.new_build_dir(index)
    writer = whoosh_writer.update(live, build)
    melanoma = writer.stored("D008545")
    assert (melanoma.type, melanoma.record["heading"]) == ("mesh", "Melanoma")
    users = writer.ids_with(f.MESH_UI, "D008545")
    assert "D008545" in users and len(users) > 1
    assert writer.stored("NCT99999999") is None
    assert not any(build.iterdir()), "nothing is linked before the first write"

    article = writer.ids_with(f.TYPE, f.ARTICLE)[0]
    document = {f.ID: article, f.TYPE: f.ARTICLE, f.HASH: "x", f.RECORD: b""}
    assert writer.add(article, document) is True  # replaces the live copy
    segments = [e for e in live.iterdir() if e.name.startswith("MAIN_") and e.suffix == ".seg"]
    assert segments and all((build / e.name).samefile(e) for e in segments), "hard links"
    assert writer.add(article, document) is True  # replaces its own earlier copy
    assert writer.delete("NCT00002845") is True
    assert writer.delete("NCT00002845") is False
    assert writer.stored("NCT00002845") is not None, "reads answer for the live build"
    writer.commit()
    assert writer.counts() == {"trial": 24, "article": 26, "mesh": 26}


def test_a_build_writer_replaces_and_deletes_within_the_build(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    writer = whoosh_writer.create(build)
    doc = {f.ID: "PMID1", f.TYPE: f.ARTICLE, f.HASH: "a", f.RECORD: b""}
    assert writer.stored("PMID1") is None and writer.ids_with(f.TYPE, f.ARTICLE) == []
    assert writer.add("PMID1", doc) is False
    assert writer.add("PMID1", {**doc, f.HASH: "b"}) is True
    assert writer.add("PMID2", {**doc, f.ID: "PMID2"}) is False
    assert writer.delete("PMID2") is True and writer.delete("PMID3") is False
    writer.commit()
    assert writer.counts() == {"trial": 0, "article": 1, "mesh": 0}
    ix = whoosh_index.open_dir(str(build), readonly=True)
    with ix.searcher() as s:
        assert [d[f.HASH] for d in s.all_stored_fields()] == ["b"]
    ix.close()
