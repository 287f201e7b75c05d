"""Reading the live index back for an update: stored records, MeSH look-ups on demand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer import store
from indexer.build import rebuild_index
from indexer.content import content_hash
from indexer.indexed import Indexed, IndexedMesh, record_from_dict
from indexer.parse import parse_source
from indexer.records import MeshTerm
from indexer.sources import walk
from search import fields as f
from search.backend import backend
from search.store import backend_name, current_build

DATA = Path(__file__).parent / "data"


def open_indexed(index_dir: Path):
    """The live build as an update reads it: through its backend's update writer."""
    live = current_build(index_dir)
    return backend(backend_name(live)).update(live, store.new_build_dir(index_dir))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("mesh")
    rebuild_index([str(DATA / "mesh"), str(DATA / "trials" / "xml")], path)
    writer = open_indexed(path)
    yield Indexed(writer)
    writer.cancel()


def test_stored_records_come_back_with_their_content_hash(index_dir, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy, symlinks=True)
    writer = open_indexed(copy)
    try:
        ids = [i for t in f.TYPES for i in writer.ids_with(f.TYPE, t)]
        assert len(ids) == 77
        for key in ids:
            stored = writer.stored(key)
            assert (stored.id, stored.type) == (key, stored.record["type"])
            assert content_hash(record_from_dict(stored.record)) == stored.hash, key
    finally:
        writer.cancel()


def test_indexed_mesh_answers_like_a_mesh_lookup_of_the_same_descriptors(indexed):
    lookup = IndexedMesh(indexed)
    assert lookup.resolve(MeshTerm("D000008545", "Melanoma")) == "D008545"  # CT.gov JSON pads
    assert lookup.resolve(MeshTerm("", "melanoma")) == "D008545"  # legacy XML: names only
    assert lookup.resolve(MeshTerm("", "anaemia")) == "D000740"  # an entry term
    assert lookup.resolve(MeshTerm("D000069058", "Unknown")) == "D000069058"
    assert lookup.trees.get("D008545") == (
        "C04.557.465.625.650.510",
        "C04.557.580.625.650.510",
        "C04.557.665.510",
    )
    assert lookup.trees.get("D999999", ()) == ()


def test_descriptors_of_the_update_come_before_the_indexed_ones(indexed):
    """MeSH 2016's Randomized Controlled Trial moved in the tree (2014: V03.200.700)."""
    fresh = [
        r for s in walk([str(DATA / "mesh" / "desc-samples.subset.xml")]) for r in parse_source(s)
    ]
    lookup = IndexedMesh(indexed, fresh, removed=["D000740"])
    assert lookup.trees.get("D016449") == ("V03.175.250.500.500",)
    assert IndexedMesh(indexed).trees.get("D016449") == ("V03.200.700",)
    assert lookup.resolve(MeshTerm("", "anaemia")) == ""  # its descriptor is removed
    assert lookup.resolve(MeshTerm("", "melanoma")) == "D008545"  # the index answers the rest
