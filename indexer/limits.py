"""The bounds on what one input file may cost, and how much of it a message may quote.

Every input is read as a stream; these limits keep each reader's memory and time bounded
whatever a file holds (a gzip bomb, a gigabyte line, a record of a million elements). The
defaults are far above anything upstream publishes (measured on the real files in
shared/data: gzip ratios 3-10, the largest CT.gov study 0.5 MB of JSON, the longest MeSH
line a few KB) and far below what would exhaust a machine. Tests pass smaller ones.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20
QUOTE_CHARS = 200  # at most this much of a file's content is quoted in any message


@dataclass(frozen=True, slots=True)
class Limits:
    """What one source may cost before it is refused (one line naming the file)."""

    # Decompression (.gz files and zip members): a stream stops once it has produced more
    # than `max_inflated` bytes, or more than `inflate_floor` bytes at a ratio above
    # `max_ratio` decompressed bytes per compressed byte (real files: 3-10; a bomb: ~1000).
    max_inflated: int = 4096 * MiB
    max_ratio: int = 100
    inflate_floor: int = 4 * MiB
    # Line formats (MeSH ASCII and tree files): a longer line is skipped, never held whole.
    max_line: int = 1 * MiB
    # One record held in memory while it is read. JSON: a CT.gov study (or the members of a
    # document around the studies; the largest real study is ~0.5 MB): past it the file ends.
    # XML: a PubMed or MeSH record, a handled element of a legacy CT.gov study (the largest in
    # a 20,788-record PubMed file: 0.5 MB); libxml2 takes up to ~32 bytes of memory per byte
    # of tiny elements, so 8 MiB of input stays under ~256 MiB. Past it the record is skipped
    # (a legacy study file ends) and its content is dropped as it streams in.
    max_json_record: int = 64 * MiB
    max_xml_record: int = 8 * MiB


DEFAULT_LIMITS = Limits()


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """Untrusted input for a message: on one line, at most `limit` characters (cut ones end
    in "..."). Only the start of `text` is looked at, however long it is."""
    flat = " ".join(text[: 4 * limit].split())
    if len(flat) > limit or len(text) > 4 * limit:
        return flat[: limit - 3] + "..."
    return flat


def size_text(n: int) -> str:
    """A limit in bytes for a message: "64 MiB", "16 KiB", "1,000 bytes"."""
    for unit, size in (("MiB", MiB), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size:,} {unit}"
    return f"{n:,} bytes"
