"""Document sets as Python big-int bitsets: bit i is the document numbered i.

Every backend hands its document sets to the engine-neutral code (search/view.py) in this
form: set algebra is `&`, `|`, `& ~`, a count is `int.bit_count()`. Numbers start where the
backend's do (Whoosh's docnums at 0, Xapian's docids at 1: bit 0 then stays clear).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

_EIGHT = np.arange(8)  # a byte's bit positions
FEW_BITS = 4  # iter_bits: up to this many, no scan of the bytes


def bits_from_docs(docs: Iterable[int], size: int) -> int:
    """A bitset of the given document numbers (all below `size`)."""
    buf = bytearray(size // 8 + 1)
    for d in docs:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def iter_bits(bits: int) -> Iterator[int]:
    """The document numbers in a bitset, ascending. A few (a MeSH name's descriptors, looked
    up on every query) are taken lowest bit first; else NumPy finds the bytes with a bit set
    and expands only those (5 among 600,000: 0.2 ms, where a loop over the bytes took 7 ms)."""
    if bits.bit_count() <= FEW_BITS:
        return _lowest_first(bits)
    raw = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    at = np.flatnonzero(raw)
    on = np.unpackbits(raw[at, None], axis=1, bitorder="little").astype(bool)
    return iter(((at[:, None] << 3) + _EIGHT)[on].tolist())


def _lowest_first(bits: int) -> Iterator[int]:
    while bits:
        lowest = bits & -bits
        yield lowest.bit_length() - 1
        bits ^= lowest


def bits_to_mask(bits: int, size: int) -> np.ndarray:
    """A bitset (bit i = document i) as a bool array of `size`."""
    raw = np.frombuffer(bits.to_bytes(size // 8 + 1, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:size].astype(bool)


def mask_to_bits(mask: np.ndarray) -> int:
    """The inverse of bits_to_mask."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")
