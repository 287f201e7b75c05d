"""search/scoring.py: the length a field is stored and scored with is the Whoosh backend's
(one byte a length), on both backends."""

from __future__ import annotations

import numpy as np
from whoosh.util.numeric import byte_to_length, length_to_byte

from search.scoring import LENGTH_STEPS, stored_length


def test_a_stored_length_is_whooshs_one_byte_length():
    lengths = np.arange(0, 120_000)
    whoosh = np.array([byte_to_length(length_to_byte(int(n))) for n in lengths])
    assert (stored_length(lengths) == whoosh).all()
    assert [stored_length(n) for n in (0, 1, 10, 11, 106_374, 10**7)] == [
        0,
        1,
        10,
        12,
        106_374,
        106_374,
    ]
    assert len(np.unique(stored_length(lengths))) == len(LENGTH_STEPS) == 256
    assert (stored_length(LENGTH_STEPS) == LENGTH_STEPS).all()  # stored twice: the same
