"""Safe streaming XML for every parser: one place for lxml's settings.

Upstream files name DTDs that are not shipped (pubmed_190101.dtd, desc2014.dtd): never load
or fetch them, never expand entities, drop comments and processing instructions. libxml2's
own bounds stay on (no `huge_tree`): 256 levels of nesting, 10 MB in one text node.
`children` streams the records of a document in bounded memory for the parsers.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Collection, Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from lxml import etree

from indexer.errors import SourceError
from indexer.limits import Limits, quote, size_text


def iterparse(source: Any, **kwargs: Any) -> etree.iterparse:
    """lxml.etree.iterparse with the safe settings (extra keyword arguments pass through)."""
    return etree.iterparse(
        source,
        load_dtd=False,
        no_network=True,
        resolve_entities=False,
        remove_comments=True,
        remove_pis=True,
        **kwargs,
    )


@dataclass(frozen=True, slots=True)
class Oversized:
    """A kept child of the root past the record limit: dropped as it streamed in."""

    tag: str
    line: int
    reason: str


READ_SIZE = 16 << 10  # bytes handed to the parser at a time: the grain of the bounds below


class _Reader:
    """`stream` as lxml reads it: one underlying read at a time (`read1`), bytes counted, and
    `prune` called before each read.

    One read at a time: a gzip stream that breaks midway then hands over all the data before
    the break (a plain `read(n)` on a GzipFile loses the partial chunk, and with it up to
    32 KB of whole records). iterparse reads only once every event of the data before has
    been handed out, so when `prune` runs, whatever is complete has been seen."""

    def __init__(self, stream: BinaryIO, prune: Callable[[], None]) -> None:
        self._read = getattr(stream, "read1", stream.read)
        self._prune = prune
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        self._prune()
        data = self._read(READ_SIZE if size < 0 else min(size, READ_SIZE))
        self.count += len(data)
        return data


class _Children:
    """The state of `children`: the root, the record being read, and the pruning."""

    def __init__(self, keep: Container[str], limits: Limits) -> None:
        self.keep = keep
        self.limit = limits.max_xml_record
        self.root: etree._Element | None = None
        self.record: etree._Element | None = None  # a kept child of the root, being read
        self.start = 0
        self.over = False
        self.reader: _Reader | None = None

    def prune(self) -> None:
        """Drop what the parser is done with: the root's complete children, and the complete
        descendants of an open child that is not kept (or is kept but past the limit)."""
        node = self.root
        while node is not None and len(node):
            if len(node) > 1:
                del node[: len(node) - 1]
            node = node[-1]
            if node is self.record and not self.over:
                assert self.reader is not None
                self.over = self.reader.count - self.start > self.limit
                if not self.over:
                    return


def children(
    stream: BinaryIO,
    name: str,
    roots: Collection[str],
    keep: Collection[str],
    limits: Limits,
    root_error: str = "unknown root element <{tag}>",
    marks: Collection[str] = (),
    nested: Mapping[str, Collection[str]] | None = None,
) -> Iterator[etree._Element | Oversized]:
    """The children of the document's root whose tag is in `keep`, each whole as it ends
    (then cleared), in bounded memory.

    A kept child spanning more than `limits.max_xml_record` bytes comes as `Oversized`. A
    child whose tag is in `marks` comes empty when it ends; so does a child whose tag is a key
    of `nested`, after its own children with the tags `nested` gives it, each kept like a
    child of the root (`<clinical_results>` and its parts). Everything else, and the content
    of an oversized child, is dropped as the parser goes past it: the tree never holds more
    than one kept child, the path to where the parser is, and one read of data. Only the
    events of these tags reach Python, so unknown elements cost no Python time either.
    Raises SourceError (`root_error` formatted with the root's tag) for a root not in
    `roots`, for malformed XML and for a truncated or corrupt compressed stream, after the
    children before the break.
    """
    state = _Children(keep, limits)
    state.reader = reader = _Reader(stream, state.prune)
    nested = nested or {}
    tags = {*roots, *keep, *marks, *nested, *(t for inner in nested.values() for t in inner)}
    try:
        events = iterparse(reader, events=("start", "end"), tag=sorted(tags))
        for event, elem in events:
            if state.root is None:
                state.root = _checked_root(elem, name, roots, root_error)
            parent = elem.getparent()
            if parent is state.root:
                kept = elem.tag in keep
            elif parent is not None and parent.getparent() is state.root:
                kept = elem.tag in nested.get(parent.tag, ())
                if not kept:
                    continue
            else:
                continue  # the root itself, or a tag of interest deeper down
            if event == "start":
                if kept:
                    state.record, state.start, state.over = elem, reader.count, False
                continue
            if elem is state.record:
                state.record = None
                if state.over or reader.count - state.start > state.limit:
                    limit = size_text(state.limit)
                    yield Oversized(
                        elem.tag, elem.sourceline or 0, f"record longer than {limit}: skipped"
                    )
                else:
                    yield elem
            elif elem.tag in marks or elem.tag in nested:
                yield elem
            _forget(elem)
        if state.root is None and events.root is not None:
            _checked_root(events.root, name, roots, root_error)
    except etree.XMLSyntaxError as e:
        raise syntax_error(name, e) from e
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise SourceError(name, f"truncated or corrupt compressed data ({e})") from e


def _checked_root(
    elem: etree._Element, name: str, roots: Collection[str], error: str
) -> etree._Element:
    """The root of `elem`'s document, or SourceError when its tag is not in `roots`."""
    while (parent := elem.getparent()) is not None:
        elem = parent
    if elem.tag not in roots:
        raise SourceError(name, error.format(tag=quote(str(elem.tag))))
    return elem


def _forget(elem: etree._Element) -> None:
    """Clear an element that has ended and drop the siblings before it."""
    elem.clear(keep_tail=True)
    parent = elem.getparent()
    while parent is not None and elem.getprevious() is not None:
        del parent[0]


def syntax_error(name: str, e: etree.XMLSyntaxError) -> SourceError:
    """An lxml syntax error as one line naming the file (an allocation failure said so)."""
    if e.code == XML_ERR_NO_MEMORY:
        return SourceError(name, OUT_OF_MEMORY)
    where = f"line {e.lineno}" if e.lineno else ""
    return SourceError(name, f"malformed XML: {quote(e.msg or 'unknown error')}", where)


XML_ERR_NO_MEMORY = 2  # libxml2's xmlParserErrors: an allocation failed
OUT_OF_MEMORY = "ran out of memory reading it (a record too large for this machine?)"
