"""The neutral query tree (search/querytree.py) as Whoosh query objects, for the array ranker
(search/whoosh/ranking.py) and Whoosh's own matchers (phrases, prefixes)."""

from __future__ import annotations

from whoosh import query as wq

from search import querytree as qt
from search.grammar import NUMERIC_FIELDS
from search.whoosh.dismax import DisMax

COORDINATION = 0.0  # exponent p of (matched/total)^p (ranking.py); p=0 best on NFCorpus train


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
