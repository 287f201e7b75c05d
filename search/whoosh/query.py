"""The neutral query tree (search/querytree.py) as Whoosh query objects, for the array ranker
(search/whoosh/ranking.py) and Whoosh's own matchers (phrases, prefixes)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from whoosh import query as wq
from whoosh.reading import IndexReader

from search import fields as f
from search import querytree as qt
from search.errors import InvalidRequest
from search.grammar import NUMERIC_FIELDS
from search.whoosh.dismax import DisMax

COORDINATION = 0.0  # exponent p of (matched/total)^p (ranking.py); p=0 best on NFCorpus train
MAX_EXPANDED_TERMS = qt.MAX_EXPANDED_TERMS  # words the prefixes of one query stand for, at most


def to_whoosh(node: qt.Node) -> wq.Query:
    """The Whoosh query that matches and scores as `node` says (querytree's contract)."""
    if isinstance(node, qt.Term):
        text: str | int = int(node.text) if node.field in NUMERIC_FIELDS else node.text
        return wq.Term(node.field, text, boost=node.boost)
    if isinstance(node, qt.Phrase):
        return wq.Phrase(node.field, list(node.words), slop=node.slop, boost=node.boost)
    if isinstance(node, qt.Prefix):
        if node.constant:
            return wq.ConstantScoreQuery(wq.Prefix(node.field, node.text), node.boost)
        return wq.Prefix(node.field, node.text, boost=node.boost)
    if isinstance(node, qt.Range):
        return wq.NumericRange(node.field, node.low, node.high, boost=node.boost)
    if isinstance(node, qt.Or):
        children = [to_whoosh(c) for c in node.children]
        return wq.Or(children, boost=node.boost, minmatch=node.minimum)
    if isinstance(node, qt.And):
        return wq.And([to_whoosh(c) for c in node.children], boost=node.boost)
    if isinstance(node, qt.DisMax):
        return DisMax([to_whoosh(c) for c in node.children])
    if isinstance(node, qt.AndNot):
        return wq.AndNot(to_whoosh(node.positive), to_whoosh(node.negative))
    if isinstance(node, qt.AndMaybe):
        return wq.AndMaybe(to_whoosh(node.required), to_whoosh(node.optional))
    if isinstance(node, qt.Every):
        return wq.Every(boost=node.boost)
    return wq.NullQuery


def check_expansions(q: wq.Query, reader: IndexReader, limit: int = MAX_EXPANDED_TERMS) -> None:
    """InvalidRequest when the prefixes (or other multi-word nodes) of `q` stand for more than
    `limit` indexed words together (each counted up to one past the limit, no further)."""
    used = 0
    for node in _multiterms(q):
        if node.fieldname not in reader.schema:
            continue
        if isinstance(node, wq.Prefix) and node.fieldname == f.MESH_TREE:
            continue
        words = sum(1 for _ in islice(node._btexts(reader), limit + 1))
        if words > limit:
            raise InvalidRequest(
                f"{node.text[:40]}* matches more than {limit:,} different words: type more "
                "letters before the *."
            )
        used += words
        if used > limit:
            raise InvalidRequest(
                f"The prefixes of this query match more than {limit:,} different words "
                "together: use fewer of them, or more letters."
            )


def _multiterms(q: wq.Query) -> Iterator[wq.MultiTerm]:
    if isinstance(q, wq.MultiTerm):
        yield q
    for child in q.children():
        yield from _multiterms(child)
