"""MeSH's line formats: ASCII descriptor files (`*NEWRECORD`) and tree files
(`Heading;TreeNumber`), read line by line with a bound on a line (see `indexer.mesh` for
how their records are merged).

* ASCII: only descriptors (RECTYPE = D, or no RECTYPE and a UI "D..."). A file whose FIRST
  record is another kind (qualifiers q20XX.bin: RECTYPE = Q; supplementary concepts: C) is
  the wrong file: SourceError. A stray non-descriptor record later on is Skipped.
* A line longer than `Limits.max_line` is never held whole: it is read past in pieces, and
  its tree line, or the ASCII record holding it, is Skipped.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from indexer.errors import SourceError
from indexer.ids import bad_id
from indexer.limits import DEFAULT_LIMITS, Limits, size_text
from indexer.records import MeshDescriptor, MeshTreeLine, Skipped

_TREE_NUMBER = re.compile(r"[A-Z]\d\d(?:\.\d{3})*")
_ASCII_FIELD = re.compile(r"([A-Z][A-Z0-9_ ]*?) =(?: (.*))?")
_KINDS = {"Q": "qualifier", "C": "supplementary concept"}
_COMPRESSION_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """The distinct non-empty values, in order."""
    return tuple(dict.fromkeys(v for v in values if v))


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _lines(stream: BinaryIO, name: str, limits: Limits) -> Iterator[tuple[int, str | None]]:
    """(line number, text without its line end) of a UTF-8 stream, read line by line. The
    text is None for a line longer than `limits.max_line` bytes: it is read past in pieces,
    never held whole."""
    n = 0
    try:
        while raw := stream.readline(limits.max_line + 1):
            n += 1
            if len(raw) > limits.max_line and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):
                    raw = stream.readline(limits.max_line + 1)
                yield n, None
                continue
            line = raw.decode("utf-8").rstrip("\r\n")
            yield n, line.lstrip("\ufeff") if n == 1 else line
    except UnicodeDecodeError as e:
        raise SourceError(name, f"not UTF-8 text ({e.reason})", f"line {n}") from e
    except _COMPRESSION_ERRORS as e:
        raise SourceError(name, f"truncated or corrupt compressed data ({e})", f"line {n}") from e


def _too_long(limits: Limits) -> str:
    return f"longer than {size_text(limits.max_line)}"


def parse_mesh_ascii(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[MeshDescriptor | Skipped]:
    """The descriptors of a MeSH ASCII file (dXXXX.bin: `*NEWRECORD` blocks of `KEY = value`).

    Fields read: MH, MS, ENTRY / PRINT ENTRY (the term before the first `|`), MN, UI,
    RECTYPE. SourceError when the first record is not a descriptor (see the module doc).
    A record with a line longer than `limits.max_line` is Skipped.
    """
    fields: list[tuple[str, str]] | None = None
    start = 0
    first = True
    long_line = 0  # a line of the current record too long to read
    for n, line in _lines(stream, name, limits):
        if line is not None and line.rstrip() == "*NEWRECORD":
            if fields is not None:
                yield from _ascii_record(fields, name, start, first, long_line, limits)
                first = False
            fields, start, long_line = [], n, 0
            continue
        if fields is None:
            if line is None or line.strip():
                raise SourceError(name, "not a MeSH ASCII file (no *NEWRECORD first)", f"line {n}")
        elif line is None:
            long_line = long_line or n
        elif match := _ASCII_FIELD.fullmatch(line.rstrip()):
            fields.append((match.group(1), (match.group(2) or "").strip()))
    if fields is not None:
        yield from _ascii_record(fields, name, start, first, long_line, limits)


def _ascii_record(
    fields: list[tuple[str, str]], name: str, start: int, first: bool, long_line: int,
    limits: Limits,
) -> Iterator[MeshDescriptor | Skipped]:  # fmt: skip
    values: dict[str, list[str]] = {}
    for key, value in fields:
        values.setdefault(key, []).append(value)
    ui, heading = values.get("UI", [""])[0], values.get("MH", [""])[0]
    kind = values.get("RECTYPE", [""])[0] or ui[:1]
    where = f"line {start}"
    if kind and kind != "D":
        label = f"RECTYPE = {kind}" + (f" ({_KINDS[kind]})" if kind in _KINDS else "")
        if first:
            raise SourceError(name, f"{label} records, not MeSH descriptors", where)
        yield Skipped(name, where, f"{label} record is not a descriptor")
    elif long_line:
        yield Skipped(name, where, f"line {long_line} is {_too_long(limits)}: record skipped")
    elif not ui:
        yield Skipped(name, where, "record has no UI")
    elif reason := bad_id("MeSH UI", ui):
        yield Skipped(name, where, reason)
    elif not heading:
        yield Skipped(name, ui, "record has no MH")
    else:
        terms = [v.split("|", 1)[0].strip() for k, v in fields if k in ("ENTRY", "PRINT ENTRY")]
        trees = values.get("MN", [])
        scope_note = _one_line(values.get("MS", [""])[0])
        yield MeshDescriptor(
            ui, heading, scope_note, unique([heading, *terms]), unique(trees), "mesh-ascii"
        )


def parse_mesh_trees(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[MeshTreeLine | Skipped]:
    """The lines of a MeSH tree file (mtreesXXXX.bin: `Heading;TreeNumber`).

    A bad line (or one longer than `limits.max_line`) is Skipped ("line N"); SourceError if
    the first line is already not one.
    """
    seen_good = False
    for n, line in _lines(stream, name, limits):
        if line is None:
            if not seen_good:
                reason = f"not a MeSH tree file (line {_too_long(limits)})"
                raise SourceError(name, reason, f"line {n}")
            yield Skipped(name, f"line {n}", f"line {_too_long(limits)}: skipped")
            continue
        if not line.strip():
            continue
        heading, sep, number = line.rpartition(";")
        heading, number = heading.strip(), number.strip()
        if sep and heading and _TREE_NUMBER.fullmatch(number):
            seen_good = True
            yield MeshTreeLine(heading, number)
        elif not seen_good:
            raise SourceError(name, "not a MeSH tree file (no 'Heading;TreeNumber')", f"line {n}")
        else:
            yield Skipped(name, f"line {n}", "not a 'Heading;TreeNumber' line")
