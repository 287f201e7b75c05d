"""Date sorts (`newest`, `oldest`, `updated`): which matches come first, the same on every
backend.

The rule. A date sort lists first the *strong* matches, newest (or oldest) first, then the
other matches in the same date order; undated records come last in each group. A match is
strong when the query's words are found in the sections that say what a record is about:
its title, conditions, interventions, keywords or MeSH terms (a descriptor's heading and
entry terms; `CORE_FIELDS`), or through its MeSH descriptors (MeSH expansion). A record that
has "melanoma" only in its summary ("6 patients with various types of cancer, including ...
melanoma"), its detailed description or its outcome measures is a weak match: it is still
listed, after every strong one. (Eligibility criteria and site lists never make a record match
at all: `fields.ASIDE`.) So "newest melanoma trials" lists melanoma trials first.

For a plain query the strong matches need every concept (most of a long query's, as
search/syntax.py requires of any match) in those sections; a query with no plain words
(`author:smith`, `title:melanoma`, filters alone) has only strong matches. Relevance ranking
is untouched: BM25F already weighs those sections most.

Each backend computes the match set of `core_query(tree)` (its strong matches) and orders the
page with `date_order`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from search import fields as f
from search import querytree as qt

# Sections that say what a record is about: a plain word found in one of them is a strong match.
CORE_FIELDS = (f.TITLE, f.CONDITION, f.INTERVENTION, f.KEYWORD, f.MESH)
DATE_SORTS = ("newest", "oldest", "updated")  # sorts by a date, newest first except oldest


def core_query(tree: qt.Node) -> qt.Node | None:
    """The query whose matches are `tree`'s strong matches: each word or phrase searched in
    the whole record (`fields.ALL`) is searched in the core sections instead; exclusions stay
    as they are, optional parts go. None when the tree searches no plain words (every match
    is strong)."""
    if not any(leaf.field == f.ALL for leaf in qt.leaves(_required(tree))):
        return None
    return qt.normalize(_core(tree))


def _required(node: qt.Node) -> qt.Node:
    return _required(node.required) if isinstance(node, qt.AndMaybe) else node


def _core(node: qt.Node) -> qt.Node:
    if isinstance(node, (qt.Term, qt.Phrase, qt.Prefix)):
        if node.field != f.ALL:
            return node
        return qt.Or(tuple(replace(node, field=name) for name in CORE_FIELDS), qt.boost_of(node))
    if isinstance(node, (qt.Or, qt.And, qt.DisMax)):
        return replace(node, children=tuple(_core(c) for c in node.children))
    if isinstance(node, qt.AndNot):
        return qt.AndNot(_core(node.positive), node.negative)
    if isinstance(node, qt.AndMaybe):
        return _core(node.required)
    return node


def date_column(sort: str) -> str:
    """The numeric field a date sort orders by (fields.DATE, DATE_ASC or UPDATED)."""
    return {"newest": f.DATE, "oldest": f.DATE_ASC, "updated": f.UPDATED}[sort]


def date_order(
    found: np.ndarray, dates: np.ndarray, strong: np.ndarray | None, sort: str
) -> np.ndarray:
    """The documents `found` (ascending numbers) in a date sort's order: strong matches first
    (`strong`: a boolean per found document; None: all strong), then the others; within each,
    dated before undated, by date (oldest first for `oldest`, else newest first), then by
    document number. `dates` are the documents' values of `date_column(sort)`."""
    undated = (dates <= 0) | (dates >= f.UNDATED)  # a missing value may read as 2^32 - 1
    key = dates if sort == "oldest" else -dates
    weak = np.zeros(len(found), dtype=bool) if strong is None else ~strong
    return found[np.lexsort((found, key, undated, weak))]
