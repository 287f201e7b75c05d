"""indexer.xmlstream.children: the records of an XML document in bounded memory."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

from indexer.errors import SourceError
from indexer.limits import DEFAULT_LIMITS, Limits
from indexer.pubmed import parse_pubmed
from indexer.records import Article, Deleted, Skipped
from indexer.xmlstream import READ_SIZE, Oversized, children

REAL = (Path(__file__).parent / "data" / "pubmed" / "pubmed21n1298_selection.xml").read_bytes()
ARTICLES = REAL[REAL.index(b"<PubmedArticle>") : REAL.rindex(b"</PubmedArticleSet>")]
FIRST = ARTICLES[: ARTICLES.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")]
JUNK = b"<x>y</x>" * 50_000  # small elements no parser reads


def document(*parts: bytes) -> io.BytesIO:
    return io.BytesIO(b"<PubmedArticleSet>\n" + b"\n".join(parts) + b"\n</PubmedArticleSet>\n")


def tree_sizes(data: io.BytesIO, limits: Limits = DEFAULT_LIMITS) -> list[int]:
    """The number of elements in the whole tree each time a record comes out."""
    sizes = []
    for elem in children(data, "f", ["PubmedArticleSet"], ["PubmedArticle"], limits):
        if not isinstance(elem, Oversized):
            sizes.append(sum(1 for _ in elem.getroottree().iter()))
    return sizes


def test_unknown_elements_are_dropped_as_they_stream_past():
    # 50,000 small elements between records, then 50,000 inside an unknown element
    junk_top = b"<junk>" + JUNK + b"</junk>"
    sizes = tree_sizes(document(JUNK, FIRST, JUNK, junk_top, FIRST, junk_top))
    assert len(sizes) == 2
    record = sum(1 for _ in etree.fromstring(FIRST).iter())
    assert max(sizes) <= record + READ_SIZE // len(b"<x>y</x>")  # nothing piles up past one read


def test_a_record_past_the_limit_is_skipped_and_the_next_ones_read():
    head, tail = FIRST.split(b"</MedlineCitation>")
    big = head + JUNK + b"</MedlineCitation>" + tail  # 400 KB
    limits = Limits(max_xml_record=64 << 10)
    records = list(parse_pubmed(document(big, ARTICLES), "f", limits))
    assert records[0] == Skipped("f", "line 2", "record longer than 64 KiB: skipped")
    assert all(isinstance(r, (Article, Deleted)) for r in records[1:]) and len(records) > 10
    # while it streams in, what it holds past the limit is dropped
    record = sum(1 for _ in etree.fromstring(FIRST).iter())
    assert max(tree_sizes(document(big, FIRST), limits)) <= record + READ_SIZE // len(b"<x>y</x>")


def test_oversized_children_come_as_such():
    big = FIRST.replace(b"</PubmedArticle>", JUNK + b"</PubmedArticle>")
    [elem, whole] = children(document(big, FIRST), "f", ["PubmedArticleSet"], ["PubmedArticle"],
                             Limits(max_xml_record=64 << 10))  # fmt: skip
    assert isinstance(elem, Oversized) and elem.tag == "PubmedArticle" and elem.line == 2
    assert whole.tag == "PubmedArticle"


def test_xml_errors_quote_little_of_the_file():
    name = b"A" * 5000
    with pytest.raises(SourceError) as info:
        list(parse_pubmed(document(b"<" + name + b"></B>"), "f"))
    assert info.value.reason.startswith("malformed XML: ")
    assert "A" * 198 not in info.value.reason and len(info.value.reason) < 300
    with pytest.raises(SourceError, match="malformed XML: Excessive depth in document: 256"):
        list(parse_pubmed(document(b"<a>" * 100_000), "f"))
