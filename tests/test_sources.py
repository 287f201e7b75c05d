"""Walking inputs and detecting each file's format from its content (never its name)."""

from __future__ import annotations

import gzip
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from indexer.errors import SourceError
from indexer.limits import Limits, quote
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


# ------------------------------------------------------------- bounded cost (issue 15)

STUDY_JSON = DATA / "trials" / "json" / "NCT00042536.json"
SMALL = Limits(inflate_floor=16 << 10, max_ratio=100)  # the ratio checked past 16 KiB


def _read_all(source) -> int:
    with source.open() as stream:
        return sum(len(chunk) for chunk in iter(lambda: stream.read(1 << 16), b""))


def _bomb(tmp_path: Path, name: str = "bomb.json.gz") -> Path:
    """A real study followed by 8 MiB of blanks, gzipped (ratio ~1000: a compression bomb)."""
    path = tmp_path / name
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(b"[" + STUDY_JSON.read_bytes() + b"," + b" " * (8 << 20) + b"]")
    return path


def test_a_gzip_bomb_is_refused_once_past_the_ratio(tmp_path):
    [source] = walk([str(_bomb(tmp_path))], SMALL)
    with pytest.raises(SourceError, match="compression bomb") as info:
        _read_all(source)
    assert "decompresses more than 100 times its compressed size past 16 KiB" in str(info.value)
    # a real .gz (ratio ~9) is read whole under the same limits
    [real] = walk([str(DATA / "pubmed" / "pubmed20n0014_selection.xml.gz")], SMALL)
    assert _read_all(real) == 69_979


def test_decompression_stops_past_the_size_limit(tmp_path):
    [source] = walk([str(DATA / "pubmed" / "pubmed20n0014_selection.xml.gz")],
                    Limits(max_inflated=32 << 10))  # fmt: skip
    with pytest.raises(SourceError, match="decompresses to more than 32 KiB: refused"):
        _read_all(source)


def test_a_zip_bomb_member_is_refused_from_its_header(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(STUDY_JSON, "NCT00042536.json")
        z.writestr("bomb.json", b"[" + b" " * (8 << 20) + b"]")
    good, bomb = walk([str(archive)], SMALL)
    assert good.format == "ctgov-json"
    assert isinstance(bomb, SourceError) and "compression bomb" in bomb.reason


@pytest.mark.parametrize("cut", ["truncated", "corrupt"])
def test_a_broken_small_gzip_is_one_error_naming_it(tmp_path, cut):
    # made from a real study: the gzip is cut, or 30 of its deflate bytes are flipped
    data = gzip.compress(STUDY_JSON.read_bytes())
    if cut == "truncated":
        data = data[: len(data) // 3]
    else:
        data = data[:30] + bytes(b ^ 0xFF for b in data[30:60]) + data[60:]
    path = tmp_path / f"{cut}.json.gz"
    path.write_bytes(data)
    [error] = walk([str(path)])
    assert isinstance(error, SourceError)
    assert str(error).startswith(f"{path}: truncated or corrupt compressed data (")


def test_a_fifo_or_device_is_skipped_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe")  # opening it for reading would wait for a writer forever
    shutil.copy(STUDY_JSON, tmp_path / "study.json")
    items = list(walk([str(tmp_path), "/dev/null"]))
    assert [str(i) for i in items if isinstance(i, SourceError)] == [
        f"{tmp_path / 'pipe'}: not a regular file (a FIFO): skipped",
        "/dev/null: not a regular file (a character device): skipped",
    ]
    assert [Path(i.name).name for i in items if not isinstance(i, SourceError)] == ["study.json"]


def test_messages_quote_at_most_200_characters_of_the_file(tmp_path):
    path = tmp_path / "odd.xml"
    path.write_bytes(b"<" + b"A" * 5000 + b"/>")
    [error] = walk([str(path)])
    assert "A" * 197 + "..." in error.reason and "A" * 198 not in error.reason
    assert quote("a\n b" * 100) == ("a b" * 100)[:197] + "..."
    assert quote("x" * 10**9) == "x" * 197 + "..."
