"""The query language's grammar: query syntax (fields already in the index's spelling, see
search/syntax.py) -> a search/querytree.py tree, for every backend.

Tokens: "phrases" (optionally ~slop and ^boost), (groups), operators AND OR NOT ANDNOT ANDMAYBE
(upper case, as words of their own), field:value (a word, "phrase", (group) or [low TO high]),
words (optionally prefix* and ^boost). Precedence, tightest first: NOT, AND, OR, ANDNOT and
ANDMAYBE; words side by side without an operator are OR'ed, looser than every operator
("a b AND c" is a OR (b AND c)). An operator with nothing on one side is dropped; a trailing
NOT is the word "not". NOT x inside an OR excludes x ("a NOT b" is a without b).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search import fields as f
from search import querytree as qt
from search.analysis import analyzer, exact_analyzer
from search.errors import InvalidRequest

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r'|(?P<quote>"(?P<qtext>[^"]*)"(?:~(?P<slop>\d+))?(?:\^(?P<qboost>\d*\.?\d+))?)'
    r"|(?P<lparen>\()|(?P<rparen>\))"
    r"|(?P<range>[\[{]\s*(?:(?P<low>[^\s\]}]+)\s+)?TO(?:\s+(?P<high>[^\s\]}]+))?\s*[\]}])"
    r"|(?P<field>[A-Za-z_]+):(?=[^\s)])"
    r'|(?P<word>[^\s()"]+)'
)
_OPS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_BOOSTED = re.compile(r"^(?P<text>.+?)\^(?P<boost>\d*\.?\d+)$")
_AUTHOR_WORD = re.compile(r"\w+(?:\.?\w+)*")  # the author field's tokens (names, initials)
_STEMMED, _EXACT = analyzer(), exact_analyzer()
_STOPS = _STEMMED.stoplist
# How a field's query text becomes terms (the backends index each field the same way).
TEXT_FIELDS = frozenset(f.TEXT_FIELDS)
NUMERIC_FIELDS = frozenset({f.YEAR, f.DATE, f.DATE_ASC})
INFIX = ("AND", "OR", "ANDNOT", "ANDMAYBE")  # applied in this order: tightest first
COMPOUND_PARTS = True  # a hyphenated compound of words also matches as its parts (_compound)


class NotSyntax(InvalidRequest):
    """Text that looks like query syntax and is none (`mel*oma`, `[a TO z]`): the query is
    read again as plain words (search/syntax.py), never refused for it."""


@dataclass(slots=True)
class _Tok:
    kind: str  # word | quote | lparen | rparen | range | field | op
    text: str
    boost: float = 1.0
    slop: int = 1
    low: str = ""
    high: str = ""


def field_terms(field: str, text: str) -> list[str]:
    """The query terms of `text` in `field` (stop words dropped, compounds kept whole)."""
    if field in TEXT_FIELDS:
        return _STEMMED.terms(text, mode="query")
    if field == f.SPELL:
        return _EXACT.terms(text, mode="query")
    if field == f.AUTHOR:
        return [w.lower() for w in _AUTHOR_WORD.findall(text)]
    return [text] if text else []  # keyword and id fields: the value as it is


def tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        if m.group("ws"):
            continue
        if m.group("quote") is not None:
            boost = float(m.group("qboost")) if m.group("qboost") else 1.0
            slop = int(m.group("slop")) if m.group("slop") else 1
            out.append(_Tok("quote", m.group("qtext"), boost=boost, slop=slop))
        elif m.group("lparen"):
            out.append(_Tok("lparen", "("))
        elif m.group("rparen"):
            out.append(_Tok("rparen", ")"))
        elif m.group("range"):
            low, high = m.group("low") or "", m.group("high") or ""
            out.append(_Tok("range", m.group(), low=low, high=high))
        elif m.group("field"):
            out.append(_Tok("field", m.group("field")))
        else:
            word = m.group("word")
            kind = "op" if word in _OPS else "word"
            boosted = _BOOSTED.match(word) if kind == "word" else None
            if boosted:
                out.append(_Tok("word", boosted.group("text"), boost=float(boosted["boost"])))
            else:
                out.append(_Tok(kind, word))
    return out


class _Not:
    """A negated operand while a group is being read (only valid inside a group)."""

    __slots__ = ("node",)

    def __init__(self, node: qt.Node) -> None:
        self.node = node


Item = qt.Node | _Not | None


class Parser:
    """One parse of one query string; `field` is where plain words go."""

    def __init__(self, tokens: list[_Tok], field: str = f.ALL) -> None:
        self.toks = tokens
        self.i = 0
        self.default = field

    def parse(self) -> qt.Node:
        return self._group(self.default, top=True)

    # -- structure ------------------------------------------------------------------------
    def _peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _group(self, field: str, top: bool = False) -> qt.Node:
        """Clauses side by side up to `)` (or the end): OR'ed, negated ones excluded."""
        clauses: list[Item] = []
        while (tok := self._peek()) is not None:
            if tok.kind == "rparen":
                self.i += 1
                if top:
                    continue  # a stray `)`
                break
            if tok.kind == "op" and tok.text != "NOT":
                self.i += 1  # an infix operator with nothing on its left
                continue
            clauses.append(self._clause(field))
        return _combine(clauses)

    def _clause(self, field: str) -> Item:
        """Operands joined by infix operators, by precedence."""
        items: list[Item] = [self._unary(field)]
        ops: list[str] = []
        while (tok := self._peek()) is not None and tok.kind == "op" and tok.text != "NOT":
            self.i += 1
            nxt = self._peek()
            if nxt is None or nxt.kind == "rparen" or (nxt.kind == "op" and nxt.text != "NOT"):
                continue  # nothing on its right: dropped
            ops.append(tok.text)
            items.append(self._unary(field))
        for name in INFIX:  # left to right within one operator
            j = 0
            while j < len(ops):
                if ops[j] == name:
                    items[j] = _binary(ops.pop(j), items[j], items.pop(j + 1))
                else:
                    j += 1
        return items[0]

    def _unary(self, field: str) -> Item:
        tok = self._peek()
        if tok is not None and tok.kind == "op" and tok.text == "NOT":
            self.i += 1
            nxt = self._peek()
            if nxt is None or nxt.kind == "rparen" or (nxt.kind == "op" and nxt.text != "NOT"):
                return _leaf_word(field, "not", 1.0)  # a trailing NOT is a word
            inner = self._unary(field)
            if isinstance(inner, _Not):
                return inner.node  # NOT NOT x
            return _Not(inner) if inner is not None else None
        return self._operand(field)

    def _operand(self, field: str) -> Item:
        tok = self._peek()
        assert tok is not None
        self.i += 1
        if tok.kind == "lparen":
            return self._group(field)
        if tok.kind == "field":
            nxt = self._peek()
            if nxt is None or nxt.kind in ("rparen", "op"):
                return _leaf_word(field, tok.text, 1.0)
            return self._operand(tok.text)
        if tok.kind == "quote":
            return _phrase(field, tok.text, tok.slop, tok.boost)
        if tok.kind == "range":
            return _range(field, tok.low, tok.high)
        return _leaf_word(field, tok.text, tok.boost)


def _binary(op: str, a: Item, b: Item) -> Item:
    """Two operands joined by an infix operator (a negated operand inside AND excludes)."""
    if op in ("AND", "OR"):
        return _combine([a, b], conj=op == "AND")
    pos, neg = _positive(a), _positive(b)
    if pos is None:
        return None
    if neg is None:
        return pos
    return qt.AndNot(pos, neg) if op == "ANDNOT" else qt.AndMaybe(pos, neg)


def _positive(item: Item) -> qt.Node | None:
    if isinstance(item, _Not):
        return None
    return item


def _combine(items: list[Item], conj: bool = False) -> Item:
    """Items OR'ed (or AND'ed); negated ones are excluded from the result."""
    pos = [i for i in items if i is not None and not isinstance(i, _Not)]
    neg = [i.node for i in items if isinstance(i, _Not)]
    if not pos:
        return _Not(neg[0] if len(neg) == 1 else qt.Or(tuple(neg))) if neg else None
    kept: qt.Node = pos[0] if len(pos) == 1 else (qt.And if conj else qt.Or)(tuple(pos))
    if not neg:
        return kept
    return qt.AndNot(kept, neg[0] if len(neg) == 1 else qt.Or(tuple(neg)))


# -- leaves ---------------------------------------------------------------------------------
def _leaf_word(field: str, word: str, boost: float) -> qt.Node | None:
    if "*" in word:
        stem = word[:-1]
        if not word.endswith("*") or "*" in stem:
            raise NotSyntax("A * can only end a word (a prefix search such as immuno*).")
        if field in NUMERIC_FIELDS:
            raise NotSyntax(f"{field}: takes a number or a range, not a prefix.")
        text = stem.lower() if field in TEXT_FIELDS or field == f.AUTHOR else stem
        return qt.Prefix(field, text, boost) if text else None
    if field in NUMERIC_FIELDS:
        if not word.isdigit():
            return None
        return qt.Term(field, str(int(word)), boost)
    terms = field_terms(field, word)
    if not terms:
        return None
    if len(terms) == 1:
        return _compound(field, terms[0], boost) or qt.Term(field, terms[0], boost)
    return qt.Or(tuple(qt.Term(field, t, boost) for t in terms))


def _compound(field: str, term: str, boost: float) -> qt.Node | None:
    """A hyphenated compound of words ("golli-deficient", "fast-twitch", "t-cells") matches
    whole or as its parts in one record (the index holds both, search/analysis.py): the best
    of the two. Compounds with digits (IL-6, COVID-19, 5-FU) or other joiners (U/A, .org)
    stay whole: their parts mean little alone."""
    if not COMPOUND_PARTS or field not in TEXT_FIELDS or term.isalnum():
        return None
    parts = term.split("-")
    if len(parts) < 2 or not all(p.isalpha() for p in parts):
        return None
    stems = list(dict.fromkeys(_STEMMED.stem_word(p) for p in parts if p not in _STOPS))
    if not stems:
        return None
    joined = stems[0] if len(stems) == 1 else None
    alternative = (
        qt.Term(field, joined, boost)
        if joined
        else qt.And(tuple(qt.Term(field, p, boost) for p in stems))
    )
    return qt.DisMax((qt.Term(field, term, boost), alternative))


def _phrase(field: str, text: str, slop: int, boost: float) -> qt.Node | None:
    if field in NUMERIC_FIELDS:
        return _leaf_word(field, text.strip(), boost)
    if field not in TEXT_FIELDS and field not in (f.AUTHOR, f.SPELL):
        terms = [text] if text else []  # a keyword value may hold spaces
    else:
        terms = field_terms(field, text)
    if not terms:
        return None
    if len(terms) == 1:
        return qt.Term(field, terms[0], boost)
    return qt.Phrase(field, tuple(terms), slop, boost)


def _range(field: str, low: str, high: str) -> qt.Node:
    if field not in NUMERIC_FIELDS:
        raise NotSyntax(
            "Ranges work on years only (year:2015..2020); a range of words would search the "
            "whole vocabulary."
        )
    if (low and not low.isdigit()) or (high and not high.isdigit()):
        raise NotSyntax(f"A {field} range needs numbers, like 2015..2020.")
    return qt.Range(field, int(low) if low else None, int(high) if high else None)


def parse(text: str, field: str = f.ALL) -> qt.Node:
    """A query string -> a normalized tree (Nothing when no word is left to search for; a
    query that only excludes is Nothing too)."""
    item = Parser(tokenize(text), field).parse()
    node = item if item is not None and not isinstance(item, _Not) else qt.NOTHING
    return qt.normalize(node)
