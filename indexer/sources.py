"""Input files: walk paths (files, folders, zips), detect each file's format from its content.

A source is one readable unit: a file, a zip member, or the decompressed stream of a `.gz`.
Formats are told apart by their first bytes, never by file names.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from indexer.errors import SourceError

CTGOV_XML = "ctgov-xml"
CTGOV_JSON = "ctgov-json"
PUBMED_XML = "pubmed-xml"
MESH_XML = "mesh-xml"
MESH_ASCII = "mesh-ascii"
MESH_TREES = "mesh-trees"
MESH_FORMATS = (MESH_XML, MESH_ASCII, MESH_TREES)

_XML_ROOTS = {
    "clinical_study": CTGOV_XML,
    "PubmedArticleSet": PUBMED_XML,
    "MedlineCitationSet": PUBMED_XML,
    "DescriptorRecordSet": MESH_XML,
    "SupplementalRecordSet": MESH_XML,
}
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_TREE_LINE = re.compile(rb"^[^;\r\n]+;[A-Z]\d\d(\.\d{3})*\r?$", re.M)
_SNIFF = 8192
# Documentation that travels with data folders (README.md, SOURCES.md) is not data.
DOC_SUFFIXES = (".md", ".rst")


@dataclass(frozen=True, slots=True)
class Source:
    name: str  # what messages call it: a path, or "archive.zip!member"
    format: str
    open: Callable[[], BinaryIO]  # a fresh binary stream of the (decompressed) content


def _strip_xml_prolog(head: bytes) -> bytes:
    """Drop the XML declaration, comments and DOCTYPE so the root element comes first."""
    head = re.sub(rb"<\?.*?\?>", b"", head, flags=re.S)
    head = re.sub(rb"<!--.*?-->", b"", head, flags=re.S)
    return re.sub(rb"<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", b"", head, flags=re.S)


def detect(head: bytes, name: str) -> str:
    """The format of a file from its first bytes; SourceError if it is none we read."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise SourceError(name, "the file is empty")
    if text[:1] in (b"{", b"["):
        return CTGOV_JSON
    if text.startswith(b"*NEWRECORD"):
        return MESH_ASCII
    if text[:1] == b"<":
        match = _ROOT.search(_strip_xml_prolog(text))
        if not match:
            raise SourceError(name, "XML without a root element in its first 8 KB")
        root = match.group(1).decode("ascii", "replace")
        if root not in _XML_ROOTS:
            known = ", ".join(f"<{r}>" for r in _XML_ROOTS)
            raise SourceError(name, f"unknown root element <{root}> (expected one of {known})")
        return _XML_ROOTS[root]
    if _TREE_LINE.match(text):
        return MESH_TREES
    raise SourceError(name, "unknown format (not CT.gov XML/JSON, PubMed XML or MeSH)")


class _OwnedGzip(gzip.GzipFile):
    """A GzipFile that also closes the stream it reads from."""

    def close(self) -> None:
        raw = self.fileobj
        try:
            super().close()
        finally:
            if raw is not None:
                raw.close()


def _gunzip(opener: Callable[[], BinaryIO]) -> Callable[[], BinaryIO]:
    def open_() -> BinaryIO:
        raw = opener()
        return _OwnedGzip(fileobj=raw, mode="rb")  # type: ignore[return-value]

    return open_


def _sniff(opener: Callable[[], BinaryIO], name: str) -> Source:
    try:
        with opener() as stream:
            head = stream.read(_SNIFF)
        if head[:2] == b"\x1f\x8b":
            opener = _gunzip(opener)
            with opener() as stream:
                head = stream.read(_SNIFF)
    except (OSError, EOFError) as e:
        raise SourceError(name, f"cannot read: {e.strerror or e}") from e
    return Source(name, detect(head, name), opener)


def _zip_sources(path: Path) -> Iterator[Source | SourceError]:
    try:
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (OSError, zipfile.BadZipFile) as e:
        yield SourceError(str(path), f"cannot read the zip archive: {e}")
        return
    for member in members:
        name = f"{path}!{member.filename}"
        try:
            yield _sniff(lambda m=member: archive.open(m), name)  # type: ignore[misc]
        except SourceError as e:
            yield e
        except (zipfile.BadZipFile, ValueError) as e:
            yield SourceError(name, f"cannot read the zip member: {e}")


def _file_sources(path: Path) -> Iterator[Source | SourceError]:
    try:
        with path.open("rb") as stream:
            magic = stream.read(4)
    except OSError as e:
        yield SourceError(str(path), f"cannot read: {e.strerror or e}")
        return
    if magic == b"PK\x03\x04":
        yield from _zip_sources(path)
        return
    try:
        yield _sniff(lambda: path.open("rb"), str(path))
    except SourceError as e:
        yield e


def walk(paths: list[str]) -> Iterator[Source | SourceError]:
    """Every readable source under `paths`, in a stable order, or the error that hides one.

    Folders are walked recursively in sorted order (so a PubMed baseline folder comes before
    `updatefiles/`); hidden files and documentation files (*.md, *.rst) in folders are ignored.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=None):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for fname in sorted(files):
                    if not fname.startswith(".") and not fname.lower().endswith(DOC_SUFFIXES):
                        yield from _file_sources(Path(root) / fname)
            if not os.access(path, os.R_OK | os.X_OK):
                yield SourceError(str(path), "cannot read: permission denied")
        elif path.exists() or path.is_symlink():
            yield from _file_sources(path)
        else:
            yield SourceError(str(path), "no such file or folder")


def read_text(stream: BinaryIO) -> io.TextIOWrapper:
    """A UTF-8 text view of a binary stream (for line-based formats)."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline=None)
