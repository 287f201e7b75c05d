"""Document sets as Python big-int bitsets: bit i is the document numbered i.

Every backend hands its document sets to the engine-neutral code (search/view.py) in this
form: set algebra is `&`, `|`, `& ~`, a count is `int.bit_count()`. Numbers start where the
backend's do (Whoosh's docnums at 0, Xapian's docids at 1: bit 0 then stays clear).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

# For each byte value, the positions of its set bits.
_BYTE_BITS = tuple(tuple(i for i in range(8) if b >> i & 1) for b in range(256))


def bits_from_docs(docs: Iterable[int], size: int) -> int:
    """A bitset of the given document numbers (all below `size`)."""
    buf = bytearray(size // 8 + 1)
    for d in docs:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def iter_bits(bits: int) -> Iterator[int]:
    """The document numbers in a bitset, ascending."""
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for i, byte in enumerate(data):
        if byte:
            base = i << 3
            for b in _BYTE_BITS[byte]:
                yield base + b


def bits_to_mask(bits: int, size: int) -> np.ndarray:
    """A bitset (bit i = document i) as a bool array of `size`."""
    raw = np.frombuffer(bits.to_bytes(size // 8 + 1, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:size].astype(bool)


def mask_to_bits(mask: np.ndarray) -> int:
    """The inverse of bits_to_mask."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")
