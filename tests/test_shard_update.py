"""An update of a sharded Xapian build copies only the shards it changes: the others are shared
with the live build (hard links, search/xapian/shardwriter.py). Checked with the real indexer
on the fixture records and real `xapian-tcpsrv` / `xapian-replicate` servers on 127.0.0.1: the
switch, `indexer shards`, the old builds' cleanup, remote readers (a new set taken whole, a
mixed one refused) and a replica of an untouched shard."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import xapian
from shardservers import replicate_once, replicate_server, tcpsrv

from indexer.__main__ import main as indexer_main
from indexer.build import rebuild_index
from indexer.update import update_index
from search.engine import SearchEngine
from search.errors import DocumentNotFound, ShardUnavailable
from search.models import SearchRequest
from search.xapian.shards import SET_KEY, shard_dirs, shard_of, version, whole_set

DATA = Path(__file__).parent / "data"
TRIALS = DATA / "trials"
SOURCES = [TRIALS / "xml", TRIALS / "both" / "xml", DATA / "pubmed", DATA / "mesh"]
SHARDS = 3
DELETED = "29782900"  # the PMID the notice deletes: shard 0 of 3
NEWER = TRIALS / "both" / "json" / "NCT00499317.json"  # a newer copy: shard 2 of 3


@pytest.fixture(scope="module")
def sharded(tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("sharded")
    rebuild_index([str(p) for p in SOURCES], index, backend="xapian", shards=SHARDS)
    return index


@pytest.fixture(scope="module")
def one(tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("one")
    rebuild_index([str(p) for p in SOURCES], index, backend="xapian")
    return index


def notice(tmp_path: Path) -> Path:
    """A DeleteCitation of PMID 29782900 (as tests/test_update.py builds it)."""
    header = (DATA / "pubmed" / "pubmed21n1298_selection.xml").read_text().splitlines()[:3]
    path = tmp_path / "delete.xml"
    path.write_text(
        "\n".join([*header, "  <DeleteCitation>", f'<PMID Version="1">{DELETED}</PMID>'])
        + "\n</DeleteCitation>\n</PubmedArticleSet>\n"
    )
    return path


def files(build: Path, k: int) -> dict[str, tuple[int, int, int]]:
    """Shard k's files: inode, size and modification time of each."""
    return {
        p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns)
        for p in (build / "shards" / str(k)).iterdir()
    }


def builds(build: Path) -> tuple[list[str], list[str]]:
    """Each shard's BUILD_KEY and SET_KEY."""
    dbs = [xapian.Database(str(p)) for p in shard_dirs(build)]
    out = [version(db) for db in dbs], [db.get_metadata(SET_KEY).decode() for db in dbs]
    for db in dbs:
        db.close()
    return out


def test_the_fixture_routes_the_changes_to_one_shard_each():
    assert (shard_of(DELETED, SHARDS), shard_of(NEWER.stem, SHARDS)) == (0, 2)


def test_an_update_copies_only_the_shards_it_changes(one, sharded, tmp_path, capsys):
    split, single = tmp_path / "split", tmp_path / "one"
    shutil.copytree(sharded, split, symlinks=True)
    shutil.copytree(one, single, symlinks=True)
    first = (split / "current").resolve()
    before = {k: files(first, k) for k in range(SHARDS)}
    servers = [tcpsrv(split / "current" / "shards" / str(k)) for k in range(SHARDS)]
    try:
        remote = SearchEngine(split, shards=",".join(s.address for s in servers), shard_recheck=0)
        assert remote.search(SearchRequest(q="")).total == 69

        deletion = [str(notice(tmp_path))]
        report = update_index(deletion, split)
        update_index(deletion, single)
        second = Path(report.build_dir)
        assert (split / "current").resolve() == second
        # shard 0 written (a copy); shards 1 and 2 the live build's very files
        assert files(second, 0).keys() == before[0].keys()
        assert all(files(second, 0)[n][0] != before[0][n][0] for n in before[0])
        assert files(second, 1) == before[1] and files(second, 2) == before[2]
        assert builds(second) == (
            [second.name, first.name, first.name],
            ["|".join([second.name, first.name, first.name]), "", ""],
        )
        assert indexer_main(["shards", "--index", str(split)]) == 0
        assert capsys.readouterr().out.split() == [str(p) for p in shard_dirs(second)]
        # every reader sees the update whole, as one database updated alike
        for engine in (SearchEngine(split), remote):
            assert engine.status()["counts"] == SearchEngine(single).status()["counts"]
            assert engine.search(SearchRequest(q="")).total == 68
            with pytest.raises(DocumentNotFound):
                engine.get(DELETED)
        for q in ("melanoma", "cancer interleukin", "mesh:D008545"):
            a = SearchEngine(split).search(SearchRequest(q=q))
            b = SearchEngine(single).search(SearchRequest(q=q))
            assert (a.total, a.facets, [h.score for h in a.hits]) == (
                b.total,
                b.facets,
                [h.score for h in b.hits],
            )

        # the next update copies shard 2 from the shared files and leaves them as they were;
        # the first build is pruned (two builds kept), and its shard 1 lives on in the third
        report = update_index([str(NEWER)], split)
        third = Path(report.build_dir)
        assert files(third, 0) == files(second, 0) and files(third, 1) == before[1]
        assert files(second, 2) == before[2] != files(third, 2)
        assert not first.exists() and sorted(p.name for p in (split / "builds").iterdir()) == [
            second.name,
            third.name,
        ]
        assert builds(third)[0] == [second.name, first.name, third.name]
        assert SearchEngine(split).search(SearchRequest(q="")).total == 68
        assert remote.search(SearchRequest(q="")).total == 68
        assert remote.get(NEWER.stem) == SearchEngine(split).get(NEWER.stem)
        assert remote.status()["counts"] == SearchEngine(split).status()["counts"]
    finally:
        for server in servers:
            server.stop()


def test_remote_readers_refuse_shards_of_two_sets(sharded, tmp_path):
    """Servers reaching shards 0, 1 of the live build and shard 2 of the first build (a copy
    under way to the machines: shard 2 was written by the update between): not one set, so no
    reader serves it; the set of the build between (shards 0, 1 of the first) is served."""
    split = tmp_path / "split"
    shutil.copytree(sharded, split, symlinks=True)
    between = Path(update_index([str(NEWER)], split).build_dir)  # writes shard 2 only
    live = Path(update_index([str(notice(tmp_path))], split).build_dir)  # shard 0 only
    first = sharded / "current" / "shards"
    for paths, total in (
        ([live / "shards" / "0", live / "shards" / "1", first / "2"], None),
        ([first / "0", first / "1", between / "shards" / "2"], 69),
        ([live / "shards" / "0", live / "shards" / "1", live / "shards" / "2"], 68),
    ):
        servers = [tcpsrv(p) for p in paths]
        try:
            engine = SearchEngine(split, shards=",".join(s.address for s in servers))
            if total is None:
                with pytest.raises(ShardUnavailable, match="different builds"):
                    engine.search(SearchRequest(q=""))
            else:
                assert engine.search(SearchRequest(q="")).total == total
        finally:
            for server in servers:
                server.stop()


def test_whole_set_takes_a_set_written_whole_or_by_an_update():
    assert whole_set(["b1", "b1"], ["", ""])  # a full build
    assert not whole_set(["b1", "b2"], ["", ""])  # two full builds
    assert whole_set(["b2", "b1"], ["b2|b1", ""])  # an update of shard 0
    assert not whole_set(["b2", "b1"], ["b2|b2", ""])  # shard 1 of b2 not there yet
    assert not whole_set(["b3", "b1"], ["b3|b2", "b2|b1"])  # shard 1 of b3's set is b2


def test_a_replica_of_a_shard_no_update_changed_copies_nothing(sharded, tmp_path):
    split = tmp_path / "split"
    shutil.copytree(sharded, split, symlinks=True)
    master = replicate_server(split / "current" / "shards")
    replica = tmp_path / "replica-1"
    try:
        replicate_once(master, "1", replica)
        before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in replica.iterdir()}
        update_index([str(notice(tmp_path)), str(NEWER)], split)  # shards 0 and 2
        replicate_once(master, "1", replica)
        after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in replica.iterdir()}
        assert after == before
        db = xapian.Database(str(replica))
        live = xapian.Database(str(split / "current" / "shards" / "1"))
        assert (db.get_doccount(), db.get_uuid()) == (live.get_doccount(), live.get_uuid())
    finally:
        master.stop()


def test_shards_gathered_after_an_update_of_a_part_are_one_set(tmp_path):
    """A `build --shard 0/2` output updated before it is gathered: its shard's `shard_builds`
    names the part's builds, which the gathered index does not have; gather clears it, so
    readers take the gathered shards as the one set they are."""
    parts = []
    for k in range(2):
        part = tmp_path / f"part{k}"
        args = ["build", "--backend", "xapian", "--shard", f"{k}/2", "--index", str(part)]
        assert indexer_main([*args, *map(str, SOURCES)]) == 0
        parts.append(str(part))
    assert update_index([str(notice(tmp_path))], Path(parts[0])).deleted == 1  # shard 0 of 2
    updated = builds((Path(parts[0]) / "current").resolve())
    assert updated[1][0]  # the part's update named its set
    whole = tmp_path / "whole"
    assert indexer_main(["gather", "--index", str(whole), *parts]) == 0
    names, sets = builds((whole / "current").resolve())
    assert sets == ["", ""] and whole_set(names, sets)
