"""Reading the live index back for an update: stored records, MeSH look-ups on demand."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build import rebuild_index
from indexer.documents import content_hash
from indexer.indexed import Indexed, IndexedMesh, count_types, record_from_dict
from indexer.parse import parse_source
from indexer.records import MeshTerm
from indexer.sources import walk
from indexer.update import update_index
from search import fields as f
from search.store import current_build

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("mesh")
    rebuild_index([str(DATA / "mesh"), str(DATA / "trials" / "xml")], path)
    ix = whoosh_index.open_dir(str(current_build(path)), readonly=True)
    with ix.searcher() as s:
        yield s
    ix.close()


def test_stored_records_come_back_with_their_content_hash(index_dir):
    ix = whoosh_index.open_dir(str(current_build(index_dir)), readonly=True)
    with ix.searcher() as s:
        for fields in s.all_stored_fields():
            record = record_from_dict(f.unpack_record(fields[f.RECORD]))
            assert content_hash(record) == fields[f.HASH], fields[f.ID]
    ix.close()


def test_indexed_mesh_answers_like_a_mesh_lookup_of_the_same_descriptors(searcher):
    lookup = IndexedMesh(Indexed(searcher))
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


def test_descriptors_of_the_update_come_before_the_indexed_ones(searcher):
    """MeSH 2016's Randomized Controlled Trial moved in the tree (2014: V03.200.700)."""
    fresh = [
        r for s in walk([str(DATA / "mesh" / "desc-samples.subset.xml")]) for r in parse_source(s)
    ]
    lookup = IndexedMesh(Indexed(searcher), fresh, removed=["D000740"])
    assert lookup.trees.get("D016449") == ("V03.175.250.500.500",)
    assert IndexedMesh(Indexed(searcher)).trees.get("D016449") == ("V03.200.700",)
    assert lookup.resolve(MeshTerm("", "anaemia")) == ""  # its descriptor is removed
    assert lookup.resolve(MeshTerm("", "melanoma")) == "D008545"  # the index answers the rest


def test_count_types_leaves_out_replaced_documents(tmp_path):
    trials = DATA / "trials"
    rebuild_index([str(trials / "xml"), str(trials / "both" / "xml")], tmp_path)
    update_index([str(trials / "both" / "json")], tmp_path)  # 5 of the 17 replaced
    ix = whoosh_index.open_dir(str(current_build(tmp_path)), readonly=True)
    with ix.searcher() as s:
        assert s.doc_frequency(f.TYPE, f.TRIAL) == 22  # Whoosh counts them until a merge
        assert count_types(s) == {"trial": 17, "article": 0, "mesh": 0}
    ix.close()
