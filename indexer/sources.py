"""Input files: walk paths (files, folders, zips), detect each file's format from its content.

A source is one readable unit: a file, a zip member, or the decompressed stream of a `.gz`.
Formats are told apart by their first bytes, never by file names.
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from indexer.errors import SourceError
from indexer.limits import DEFAULT_LIMITS, Limits, quote, size_text

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
    limits: Limits = DEFAULT_LIMITS  # what reading it may cost (see indexer.limits)
    size: int = 0  # bytes as stored (a file's size, a zip member's compressed size): progress


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
        root = quote(match.group(1).decode("ascii", "replace"))
        if root not in _XML_ROOTS:
            known = ", ".join(f"<{r}>" for r in _XML_ROOTS)
            raise SourceError(name, f"unknown root element <{root}> (expected one of {known})")
        return _XML_ROOTS[root]
    if _TREE_LINE.match(text):
        return MESH_TREES
    raise SourceError(name, "unknown format (not CT.gov XML/JSON, PubMed XML or MeSH)")


_COMPRESSION_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


class _Counted:
    """A binary stream that counts the bytes read from it (the compressed side of a .gz)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def close(self) -> None:
        self.raw.close()


class _Inflated(io.RawIOBase):
    """The decompressed side of a .gz, refused (SourceError) past the limits' size or ratio."""

    def __init__(self, raw: BinaryIO, name: str, limits: Limits) -> None:
        self._counted = _Counted(raw)
        self._gzip = gzip.GzipFile(fileobj=self._counted, mode="rb")  # type: ignore[arg-type]
        self._name = name
        self._limits = limits
        self._out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._gzip.read1(len(buffer))
        buffer[: len(data)] = data
        self._out += len(data)
        self._check()
        return len(data)

    def _check(self) -> None:
        limits, out = self._limits, self._out
        if out > limits.max_inflated:
            raise SourceError(
                self._name, f"decompresses to more than {size_text(limits.max_inflated)}: refused"
            )
        if out > limits.inflate_floor and out > limits.max_ratio * max(self._counted.count, 1):
            raise SourceError(
                self._name,
                f"decompresses more than {limits.max_ratio} times its compressed size past "
                f"{size_text(limits.inflate_floor)} (a compression bomb?): refused",
            )

    def close(self) -> None:
        if not self.closed:
            try:
                self._gzip.close()
            finally:
                self._counted.close()
        super().close()


def _gunzip(opener: Callable[[], BinaryIO], name: str, limits: Limits) -> Callable[[], BinaryIO]:
    def open_() -> BinaryIO:
        return io.BufferedReader(_Inflated(opener(), name, limits))  # type: ignore[return-value]

    return open_


def _sniff(opener: Callable[[], BinaryIO], name: str, limits: Limits, size: int = 0) -> Source:
    try:
        with opener() as stream:
            head = stream.read(_SNIFF)
        if head[:2] == b"\x1f\x8b":
            opener = _gunzip(opener, name, limits)
            with opener() as stream:
                head = stream.read(_SNIFF)
    except _COMPRESSION_ERRORS as e:
        raise SourceError(name, f"truncated or corrupt compressed data ({e})") from e
    except OSError as e:
        raise SourceError(name, f"cannot read: {e.strerror or e}") from e
    return Source(name, detect(head, name), opener, limits, size)


def _member_too_large(member: zipfile.ZipInfo, limits: Limits) -> str:
    """Why a zip member's declared sizes are refused ("" when they are not)."""
    size = member.file_size
    if size > limits.max_inflated:
        return f"decompresses to more than {size_text(limits.max_inflated)}: refused"
    if size > limits.inflate_floor and size > limits.max_ratio * max(member.compress_size, 1):
        return (
            f"decompresses more than {limits.max_ratio} times its compressed size past "
            f"{size_text(limits.inflate_floor)} (a compression bomb?): refused"
        )
    return ""


def _zip_sources(path: Path, limits: Limits) -> Iterator[Source | SourceError]:
    try:
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (OSError, zipfile.BadZipFile) as e:
        yield SourceError(str(path), f"cannot read the zip archive: {e}")
        return
    for member in members:
        name = f"{path}!{quote(member.filename)}"
        if reason := _member_too_large(member, limits):
            yield SourceError(name, reason)
            continue
        try:
            opener = functools.partial(archive.open, member)
            yield _sniff(opener, name, limits, member.compress_size)  # type: ignore[arg-type]
        except SourceError as e:
            yield e
        except (zipfile.BadZipFile, ValueError) as e:
            yield SourceError(name, f"cannot read the zip member: {e}")


_NOT_REGULAR = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _file_sources(path: Path, limits: Limits) -> Iterator[Source | SourceError]:
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):  # opening a FIFO would wait for a writer forever
            kind = _NOT_REGULAR.get(stat.S_IFMT(mode), "not a regular file")
            yield SourceError(str(path), f"not a regular file ({kind}): skipped")
            return
        size = path.stat().st_size
        with path.open("rb") as stream:
            magic = stream.read(4)
    except OSError as e:
        yield SourceError(str(path), f"cannot read: {e.strerror or e}")
        return
    if magic == b"PK\x03\x04":
        yield from _zip_sources(path, limits)
        return
    try:
        yield _sniff(lambda: path.open("rb"), str(path), limits, size)
    except SourceError as e:
        yield e


def walk(paths: list[str], limits: Limits = DEFAULT_LIMITS) -> Iterator[Source | SourceError]:
    """Every readable source under `paths`, in a stable order, or the error that hides one.

    Folders are walked recursively in sorted order (so a PubMed baseline folder comes before
    `updatefiles/`); hidden files and documentation files (*.md, *.rst) in folders are ignored,
    and what is not a regular file (a FIFO, a device) is an error, never opened. Each source
    carries `limits`, the bounds its readers keep to.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=None):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for fname in sorted(files):
                    if not fname.startswith(".") and not fname.lower().endswith(DOC_SUFFIXES):
                        yield from _file_sources(Path(root) / fname, limits)
            if not os.access(path, os.R_OK | os.X_OK):
                yield SourceError(str(path), "cannot read: permission denied")
        elif path.exists() or path.is_symlink():
            yield from _file_sources(path, limits)
        else:
            yield SourceError(str(path), "no such file or folder")


def read_text(stream: BinaryIO) -> io.TextIOWrapper:
    """A UTF-8 text view of a binary stream (for line-based formats)."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline=None)
