"""Record -> index document: sections and weights, MeSH look-ups, facet values."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.documents import MeshLookup, age_groups, age_years, date_number, to_document
from indexer.parse import parse_source
from indexer.records import MeshDescriptor, MeshTerm
from indexer.sources import walk
from search import fields as f
from search.analysis import SECTION_MARK

DATA = Path(__file__).parent / "data"
MELANOMA = MeshDescriptor("D008545", "Melanoma", "", ("Melanomas",), ("C04.557.465.625",), "x")


def _records(path):
    return [r for s in walk([str(DATA / path)]) for r in parse_source(s)]


@pytest.mark.parametrize(
    "minimum, maximum, groups",
    [
        ("18 Years", "", ("adult", "older_adult")),
        ("", "17 Years", ("child",)),
        ("6 Months", "65 Years", ("child", "adult", "older_adult")),
        ("65 Years", "N/A", ("older_adult",)),
        ("18 Years", "64 Years", ("adult",)),
    ],
)
def test_age_groups_follow_clinicaltrials_gov(minimum, maximum, groups):
    assert age_groups(minimum, maximum) == groups


def test_small_conversions():
    assert age_years("6 Months") == 0.5
    assert date_number("2005-09") == 20050900
    assert date_number("") is None


def test_trial_document_fields():
    [trial] = _records("trials/xml/NCT00002845.xml")
    doc = to_document(trial, MeshLookup([MELANOMA]))
    assert doc[f.ID] == "NCT00002845" and doc[f.TYPE] == "trial"
    assert doc[f.MESH_UI] == "D008545"  # legacy XML names MeSH terms only; resolved by name
    assert doc[f.MESH_CAT] == "C04"
    assert doc[f.STATUS] == "UNKNOWN" and doc[f.PHASE] == "PHASE2"  # "Unknown status"
    assert doc[f.HAS_RESULTS] == "no"
    assert doc[f.ALL].startswith(f"{SECTION_MARK}8{chr(0x1F)}NCT00002845")
    assert f.unpack_record(doc[f.RECORD])["nct_id"] == "NCT00002845"


def test_padded_mesh_uis_of_ctgov_json_resolve_to_the_mesh_spelling():
    lookup = MeshLookup([MELANOMA])
    assert lookup.resolve(MeshTerm("D000008545", "Melanoma")) == "D008545"
    assert lookup.resolve(MeshTerm("", "melanoma")) == "D008545"
    assert lookup.resolve(MeshTerm("D000069058", "Unknown")) == "D000069058"


def test_article_links_name_the_trials_it_mentions():
    articles = {a.pmid: a for a in _records("pubmed/PubData2XL_pubmed_data3_selection.xml")}
    doc = to_document(articles["32951293"], MeshLookup())
    assert "NCT00003117" in doc[f.LINKS].split(",")  # named in its abstract


def test_descriptor_entry_keys_are_word_order_free():
    doc = to_document(MELANOMA, MeshLookup([MELANOMA]))
    assert set(doc[f.ENTRY_KEY].split(",")) == {f.term_key("Melanoma")}
    assert f.term_key("Infarction, Myocardial") == f.term_key("myocardial infarctions")
