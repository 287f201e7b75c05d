"""search/bitsets.py: document sets as big-int bitsets."""

from __future__ import annotations

import random

import numpy as np
import pytest

from search.bitsets import FEW_BITS, bits_from_docs, bits_to_mask, iter_bits, mask_to_bits


@pytest.mark.parametrize("count", [0, 1, FEW_BITS, FEW_BITS + 1, 64, 5000])
@pytest.mark.parametrize("size", [7_000, 600_000])
def test_iter_bits_gives_the_documents_in_order(count, size):
    """Both ways (a few bits lowest first, more through NumPy), bits 0 and size - 1 too."""
    rng = random.Random(count * size)
    docs = sorted(rng.sample(range(size), count))
    if count >= 2:
        docs = sorted({0, size - 1, *docs[2:]})
    bits = bits_from_docs(docs, size)
    assert list(iter_bits(bits)) == docs
    assert np.flatnonzero(bits_to_mask(bits, size)).tolist() == docs
    assert mask_to_bits(bits_to_mask(bits, size)) == bits
