"""Walking inputs and detecting each file's format from its content (never its name)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from indexer.errors import SourceError
from indexer.sources import detect, walk

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    "path, fmt",
    [
        ("trials/xml/NCT00002845.xml", "ctgov-xml"),
        ("trials/json/array.json", "ctgov-json"),
        ("trials/json/api_page.json", "ctgov-json"),
        ("trials/json/NCT00042536.json", "ctgov-json"),
        ("pubmed/pubmed21n1298_selection.xml", "pubmed-xml"),
        ("pubmed/pubmed20n0014_selection.xml.gz", "pubmed-xml"),
        ("pubmed/medline16n0902_selection.xml", "pubmed-xml"),
        ("mesh/desc-samples.subset.xml", "mesh-xml"),
        ("mesh/d2014.en_gb.subset.bin.gz", "mesh-ascii"),
        ("mesh/mtrees2014.subset.bin", "mesh-trees"),
    ],
)
def test_format_is_detected_from_content(path, fmt):
    [source] = list(walk([str(DATA / path)]))
    assert source.format == fmt


def test_names_do_not_matter(tmp_path):
    renamed = tmp_path / "study.json"  # legacy XML under a misleading name
    shutil.copy(DATA / "trials" / "xml" / "NCT00002845.xml", renamed)
    [source] = list(walk([str(renamed)]))
    assert source.format == "ctgov-xml"


def test_a_zip_is_read_in_place_member_by_member(tmp_path):
    archive = tmp_path / "AllPublicXML.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted((DATA / "trials" / "xml").glob("*.xml"))[:3]:
            z.write(p, f"NCT0000xxxx/{p.name}")
    sources = list(walk([str(archive)]))
    assert [s.format for s in sources] == ["ctgov-xml"] * 3
    assert sources[0].name.startswith(f"{archive}!NCT0000xxxx/")
    with sources[0].open() as stream:
        assert b"<clinical_study" in stream.read()


def test_folders_are_walked_in_order_and_docs_ignored():
    names = [Path(s.name).name for s in walk([str(DATA / "trials" / "json")])]
    assert names == sorted(names)
    assert "README.md" not in [Path(s.name).name for s in walk([str(DATA / "trials")])]


def test_unknown_root_and_missing_path_are_errors_not_exceptions(tmp_path):
    items = list(walk([str(DATA / "broken" / "qual2014.subset.xml"), str(tmp_path / "nope")]))
    assert all(isinstance(i, SourceError) for i in items)
    assert "unknown root element <QualifierRecordSet>" in str(items[0])
    assert str(items[1]) == f"{tmp_path / 'nope'}: no such file or folder"


def test_detect_reads_past_the_prolog():
    head = (DATA / "pubmed" / "pubmed21n1298_selection.xml").read_bytes()[:8192]
    assert head.startswith(b"<?xml") and b"<!DOCTYPE" in head
    assert detect(head, "x") == "pubmed-xml"
    with pytest.raises(SourceError, match="unknown format"):
        detect(b"Heading without tree number\n", "x")
