"""indexer.jsonstream: JSON values read from a stream in pieces, in bounded memory."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from indexer.errors import SourceError
from indexer.jsonstream import JsonStream
from indexer.limits import Limits

ARRAY = Path(__file__).parent / "data" / "trials" / "json" / "array.json"  # real studies


class Trickle(io.RawIOBase):
    """A stream that hands over at most `size` bytes a read, as a slow pipe or a gzip does."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size, self._pos = data, size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self._data[self._pos : self._pos + min(self._size, n if n >= 0 else self._size)]
        self._pos += len(chunk)
        return chunk


def values(data: bytes, size: int = 7, limits: Limits | None = None) -> list:
    doc = JsonStream(Trickle(data, size), "f", limits or Limits())  # type: ignore[arg-type]
    doc.take("[", "'['")
    found = []
    while doc.peek() != "]":
        if found:
            doc.take(",", "','")
        found.append(doc.value()[0])
    return found


def test_values_split_across_reads_decode_whole():
    studies = json.loads(ARRAY.read_bytes())
    # 7-byte reads split strings, escapes, numbers and literals; numbers end a read too
    assert values(ARRAY.read_bytes()) == studies
    assert values(b"[12345, true, -1.5e10, null, false, 1]", size=1) == [
        12345, True, -1.5e10, None, False, 1,
    ]  # fmt: skip


def test_a_value_past_the_record_limit_is_refused():
    data = ARRAY.read_bytes()
    limit = Limits(max_json_record=4096)
    with pytest.raises(SourceError, match=r"a JSON value longer than 4 KiB \(the record limit\)"):
        values(data, size=1 << 20, limits=limit)  # the whole value in the first read
    with pytest.raises(SourceError, match="longer than 4 KiB"):
        values(data, size=100, limits=limit)  # read in pieces: it stops reading past the limit


def test_deep_nesting_and_malformed_values_are_one_line():
    with pytest.raises(SourceError, match="nested too deeply to read") as info:
        values(b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]")
    assert info.value.where == "line 1"
    with pytest.raises(SourceError, match="malformed JSON: Expecting") as info:
        values(b'[\n{"a": 1},\n{"a": tru}]')
    assert info.value.where == "line 3"


def test_blanks_are_skipped_without_being_held():
    padded = b"[" + b" " * (3 << 20) + b'{"a": 1}' + b"\n" * 1000 + b"]"
    doc = JsonStream(Trickle(padded, 1 << 16), "f", Limits())  # type: ignore[arg-type]
    doc.take("[", "'['")
    assert doc.value()[0] == {"a": 1}
    assert len(doc._text) < 2 << 20  # the blanks already read were dropped
    assert doc.line() == "line 1001"
