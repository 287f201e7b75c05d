"""Postings and columns read as arrays equal what Whoosh reads one posting at a time, also
across the segments of an updated index (deleted documents are the caller's to mask)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index

from indexer.update import update_index
from search import fields as f
from search.store import current_build
from search.whoosh import postings as postings_module
from search.whoosh.postings import Postings

pytestmark = pytest.mark.backends("whoosh")  # Whoosh's own internals

DATA = Path(__file__).parent / "data"


def check_reader(reader, fields=(f.ALL, f.TITLE, f.TYPE, f.MESH_UI, f.YEAR)) -> int:
    """Every term of `fields` compared; returns how many were."""
    arrays = Postings(reader)
    checked = 0
    for field in fields:
        for btext in reader.lexicon(field):
            docs, weights = arrays.term(field, btext)
            m = reader.postings(field, btext)
            expected = []
            while m.is_active():  # Whoosh's own walk skips deleted documents
                expected.append((m.id(), m.weight()))
                m.next()
            live = [
                (int(d), float(w))
                for d, w in zip(docs, weights, strict=True)
                if not reader.is_deleted(d)
            ]
            assert live == [(d, pytest.approx(w)) for d, w in expected], (field, btext)
            checked += 1
    for field in (f.ALL, f.TITLE):
        lengths = arrays.lengths(field)
        for doc in range(reader.doc_count_all()):
            assert lengths[doc] == reader.doc_field_length(doc, field, 1)
    for field in (f.DATE, f.DATE_ASC):
        column = reader.column_reader(field)
        assert arrays.numbers(field).tolist() == [column[d] for d in range(reader.doc_count_all())]
    return checked


def test_one_segment(index_dir):
    ix = whoosh_index.open_dir(str(current_build(index_dir)), readonly=True)
    with ix.reader() as reader:
        assert check_reader(reader) > 1000
    ix.close()


def test_segments_of_an_updated_index(index_dir, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy, symlinks=True)
    header = (DATA / "pubmed" / "pubmed21n1298_selection.xml").read_text().splitlines()[:3]
    notice = tmp_path / "delete.xml"  # a real citation deleted, a new study added
    notice.write_text(
        "\n".join([*header, "  <DeleteCitation>", '<PMID Version="1">29782900</PMID>'])
        + "\n</DeleteCitation>\n</PubmedArticleSet>\n"
    )
    update_index([str(notice), str(DATA / "update" / "NCT00000340.xml")], copy)
    ix = whoosh_index.open_dir(str(current_build(copy)), readonly=True)
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) > 1 and reader.has_deletions()
        assert check_reader(reader) > 1000
    ix.close()


def test_absent_terms_are_empty_and_the_cache_is_bounded(index_dir, monkeypatch):
    monkeypatch.setattr(postings_module, "CACHE_POSTINGS", 50)
    ix = whoosh_index.open_dir(str(current_build(index_dir)), readonly=True)
    with ix.reader() as reader:
        arrays = Postings(reader)
        docs, weights = arrays.term(f.ALL, "no-such-word")
        assert len(docs) == len(weights) == 0
        for btext in list(reader.lexicon(f.ALL))[:200]:
            arrays.term(f.ALL, btext)
        assert arrays._held <= 50 or len(arrays._terms) == 1
        again = arrays.term(f.ALL, "melanoma")
        assert np.array_equal(again[0], sorted(reader.postings(f.ALL, "melanoma").all_ids()))
    ix.close()


def test_positions_of_chosen_documents_only(index_dir):
    ix = whoosh_index.open_dir(str(current_build(index_dir)), readonly=True)
    with ix.reader() as reader:
        arrays = Postings(reader)
        m = reader.postings(f.ALL, "melanoma")
        expected = {}
        while m.is_active():
            expected[m.id()] = m.value_as("positions")
            m.next()
        chosen = np.array(sorted(expected)[::2] + [reader.doc_count_all() - 1], dtype=np.int64)
        got = arrays.positions(f.ALL, b"melanoma", np.unique(chosen))
        assert got == {d: expected[d] for d in chosen.tolist() if d in expected}
        assert len(got) >= 3
    ix.close()
