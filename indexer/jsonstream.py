"""A JSON document read value by value from a stream, in bounded memory.

The reader keeps only the text not yet consumed. `value()` decodes the next JSON value with
the standard library's C decoder, reading more of the stream while the value is incomplete,
and refuses (SourceError) a value longer than `Limits.max_json_record` characters, or one
nested deeper than Python's recursion limit allows, instead of holding or recursing without
bound. Callers walk the structure around the values themselves (`[`, `,`, `{`, `:`...), so
an array of studies of any length is read one study at a time.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, BinaryIO

from indexer.errors import SourceError
from indexer.limits import Limits, size_text

_NOT_BLANK = re.compile(r"[^ \t\n\r]")
_CHUNK = 1 << 20
_TAIL = 16  # a decode error this close to the end of the text read so far may be truncation


class JsonStream:
    """The unread part of one JSON document (see the module docstring)."""

    def __init__(self, stream: BinaryIO, name: str, limits: Limits) -> None:
        self._stream = stream
        self.name = name
        self._limits = limits
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._text = ""
        self._pos = 0
        self._eof = False
        self._bytes = 0  # bytes read from the stream
        self._line = 1  # the line number at `_counted` in `_text`
        self._counted = 0

    # ------------------------------------------------------------------ reading the stream

    def _fill(self, size: int = _CHUNK) -> bool:
        """Read about `size` more bytes; False at the end of the stream."""
        if self._eof:
            return False
        self._line_at(self._pos)  # drop what was consumed, keeping the line count
        self._text, self._counted = self._text[self._pos :], 0
        self._pos = 0
        data = self._stream.read(max(size, _CHUNK))
        try:
            self._text += self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as e:
            raise SourceError(
                self.name, f"not UTF-8 text ({e.reason})", f"byte {self._bytes + e.start}"
            ) from e
        self._bytes += len(data)
        self._eof = not data
        return bool(data)

    def _line_at(self, pos: int) -> int:
        self._line += self._text.count("\n", self._counted, pos)
        self._counted = pos
        return self._line

    def line(self) -> str:
        """Where the next value starts, for messages: "line N"."""
        self.peek()
        return f"line {self._line_at(self._pos)}"

    # --------------------------------------------------------------------------- tokens

    def peek(self) -> str:
        """The next character that is not a blank ("" at the end of the document)."""
        while True:
            found = _NOT_BLANK.search(self._text, self._pos)
            self._pos = found.start() if found else len(self._text)
            if found or not self._fill():
                return self._text[self._pos : self._pos + 1]

    def take(self, expected: str, context: str) -> None:
        """Consume the character `expected` (after blanks), or SourceError."""
        found = self.peek()
        if found != expected:
            shown = repr(found) if found else "the end of the file"
            self.fail(f"expected {context}, found {shown}")
        self._pos += 1

    def fail(self, reason: str, at: int | None = None) -> None:
        line = self._line_at(self._pos if at is None else at)
        raise SourceError(self.name, f"malformed JSON: {reason}", f"line {line}")

    def value(self) -> tuple[Any, int]:
        """The next JSON value, decoded, and its length in characters."""
        self.peek()
        decoder = json.JSONDecoder()
        while True:
            start = self._pos
            try:
                obj, end = decoder.raw_decode(self._text, start)
            except json.JSONDecodeError as e:
                incomplete = e.msg.startswith("Unterminated") or e.pos >= len(self._text) - _TAIL
                if incomplete and not self._eof:
                    self._more()  # then decode again: positions move when text is read
                    continue
                self.fail(e.msg, e.pos)
            except RecursionError:
                self.fail("nested too deeply to read (real studies nest less than 10 levels)")
            if end >= len(self._text) - _TAIL and not isinstance(obj, (dict, list, str)):
                if not self._eof:  # a number or literal may go on in the next chunk
                    self._more()
                    continue
            if end - start > self._limits.max_json_record:
                self._too_long()
            self._pos = end
            return obj, end - start

    def _more(self) -> None:
        """Read more of a value that does not fit in the text read so far (doubling)."""
        pending, limit = len(self._text) - self._pos, self._limits.max_json_record
        if pending > limit:
            self._too_long()
        self._fill(min(pending, limit + 1 - pending))

    def _too_long(self) -> None:
        size = size_text(self._limits.max_json_record)
        reason = f"a JSON value longer than {size} (the record limit)"
        raise SourceError(self.name, reason, self.line())
