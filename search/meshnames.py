"""MeSH name -> descriptor UI: the one rule every look-up uses (indexing a record's MeSH terms,
updates, query expansion, related items).

A descriptor is named by a text when its heading or one of its entry terms is the text up to
case, word order and a plural -s ("Infarctions, Myocardial" names Myocardial Infarction;
"Diabetal" does not name Diabetes). Several descriptors may qualify; they are ranked: the
heading as written (case aside) first, then an entry term as written, then the heading up to
order and plural, then an entry term so; ties by UI, so the answer never depends on the order
the descriptors were read in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

_WORD = re.compile(r"[^\W_]+")


class Named(NamedTuple):
    """What the rule needs of a descriptor."""

    ui: str
    heading: str
    entry_terms: tuple[str, ...]


def surface(text: str) -> tuple[str, ...]:
    """Words of a name up to case, order and a plural -s: the key descriptors are found by."""
    words = (w.lower() for w in _WORD.findall(text))
    return tuple(sorted(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words))


def names_of(d: Named) -> set[tuple[str, ...]]:
    """The surface keys a descriptor is found by (its heading and entry terms)."""
    return {key for key in map(surface, (d.heading, *d.entry_terms)) if key}


def _rank(text: str, key: tuple[str, ...], d: Named) -> int | None:
    folded = text.casefold()
    if d.heading.casefold() == folded:
        return 0
    if any(t.casefold() == folded for t in d.entry_terms):
        return 1
    if surface(d.heading) == key:
        return 2
    if any(surface(t) == key for t in d.entry_terms):
        return 3
    return None


def ranked_uis(text: str, candidates: Iterable[Named]) -> list[str]:
    """UIs of the candidates that `text` names, best first (see the module's rule)."""
    key = surface(text)
    if not key:
        return []
    scored = {}
    for d in candidates:
        rank = _rank(text.strip(), key, d)
        if rank is not None and (d.ui not in scored or rank < scored[d.ui]):
            scored[d.ui] = rank
    return sorted(scored, key=lambda ui: (scored[ui], ui))


def best_ui(text: str, candidates: Iterable[Named]) -> str:
    """The UI `text` names best, '' if none."""
    uis = ranked_uis(text, candidates)
    return uis[0] if uis else ""
