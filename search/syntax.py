"""What a user types -> a query tree (search/querytree.py), the same for every backend.

Plain words are OR'ed, so a record matching more of the words ranks higher but need not match
all of them; "phrases", AND / OR / NOT, (parentheses), prefix*, field:value, year:2015..2020
and bare ids work too. Field aliases and enum values are rewritten here into the index's
spelling; search/grammar.py reads the result.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from search import concepts, grammar, nltkdata, querymodel
from search import fields as f
from search import querytree as qt
from search.concepts import describe_text, scaled
from search.errors import InvalidRequest
from search.expansion import Match, rewrite_text
from search.facets import closed_values
from search.lenient import as_words, stray_stars
from search.models import Expansion, Reading

MAX_QUERY_CHARS = 4000
# What a plain query (words, phrases; no operators or fields) matches: records with every
# concept when it has up to ALL_CONCEPTS_UP_TO of them, else with CONCEPT_SHARE of them (rounded
# up), as Lucene's minimum-should-match "4<75%"; when none do, records with any concept
# (ParsedQuery.loose; the page says the match is partial).
ALL_CONCEPTS_UP_TO = 4
# The shapes (search/querymodel.py) whose records must have enough of the concepts; the others
# rank every record with any of them (plain BM25 order). Requiring 75% of a question's
# concepts cost nDCG@10 on the train samples (SciFact -0.003, NFCorpus questions -0.005).
REQUIRE_SHAPES = frozenset({querymodel.KEYWORDS})
CONCEPT_SHARE = 0.75
# Words of a question or a sentence that are no concept of their own: never required (they
# still add to the score). The stop list (nltk_data) already drops the commonest ones.
FILLER_WORDS = frozenset(
    "why how whom whose do does did doing done can could should may might must shall am "
    "being having i me my mine myself us ours you yours he him she it we they not no nor "
    "very more most other some only own same just again further once both each few get got "
    "make made good bad new use used using".split()
)
_FILLER_TERMS = frozenset(t for w in FILLER_WORDS for t in grammar.field_terms(f.ALL, w))

# Names a user may put before ':' -> schema fields.
FIELD_ALIASES: dict[str, str] = {
    "title": f.TITLE, "ti": f.TITLE,
    "condition": f.CONDITION, "conditions": f.CONDITION, "disease": f.CONDITION,
    "intervention": f.INTERVENTION, "interventions": f.INTERVENTION, "drug": f.INTERVENTION,
    "author": f.AUTHOR, "au": f.AUTHOR,
    "journal": f.JOURNAL, "ta": f.JOURNAL,
    "mesh": f.MESH, "mh": f.MESH,
    "keyword": f.KEYWORD, "sponsor": f.SPONSOR, "location": f.LOCATION,
    "status": f.STATUS, "phase": f.PHASE, "year": f.YEAR, "type": f.TYPE,
    "id": f.ID, "sex": f.SEX, "language": f.LANGUAGE, "lang": f.LANGUAGE,
}  # fmt: skip
ENUM_FIELDS = {"status", "phase", "type", "sex", "language", "lang"}
FILTER_ALIASES = ENUM_FIELDS | {"year"}
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}

RECORD_ID = re.compile(r"(NCT\d{8}|D\d{6,9}|\d{1,9})", re.I)
_FIELDED = re.compile(r'(?<![\w:])([A-Za-z_]+):("[^"]*"|[^\s()"]+)')
_YEAR_RANGE = re.compile(r"^(\d{4})?\.\.(\d{4})?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_WORD_PREFIX = re.compile(r"(?<![^\s(:])[^\W\d_]{3,}\*(?=[\s)]|$)")
_BOOLEAN = re.compile(r"\b(AND|OR|NOT|ANDNOT|ANDMAYBE)\b|[()]")
_WORD = re.compile(r"[^\W_]+(?:[-+/.][^\W_]+)*\+*")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    query: qt.Node
    text: str  # the cleaned query string
    words: tuple[str, ...]  # plain words outside field: prefixes, for MeSH and spelling
    record_id: str  # set when the whole query is one record id
    expansions: tuple[Expansion, ...] = ()  # MeSH phrases recognised and what they added
    loose: qt.Node | None = None  # any concept, when `query` asks for most of them (fallback)
    reading: Reading | None = None  # the query's shape; a description's concepts, patient


def clean(text: str) -> str:
    """Normalize what a user typed: Unicode NFKC, no control characters, one-line."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _CONTROL.sub(" ", text).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    text = text.replace("?", " ")  # a question, not Whoosh's one-letter wildcard
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidRequest(
            f"Your query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}."
        )
    return text


def _enum_value(alias: str, value: str) -> str:
    raw = value.strip('"').strip().lower()
    if alias == "phase":
        raw = ROMAN.get(raw.removeprefix("phase").strip(), raw)
        if raw.isdigit():
            return f"PHASE{raw}"
        if raw in ("na", "n/a", "none"):
            return "NA"
    if alias in ("language", "lang") or alias == "type":
        return raw  # languages are stored lower-case ("eng"); types too ("trial")
    return re.sub(r"[^A-Za-z0-9]+", "_", raw).strip("_").upper()


def _rewrite_fields(text: str) -> str:
    """Rewrite field:value pairs into the schema's spelling (enums, year ranges, MeSH UIs).
    A pair that is no valid field:value (`FVIII:C`, `type:2`, `year:soon`) is two words."""

    def one(m: re.Match[str]) -> str:
        alias, value = m.group(1).lower(), m.group(2)
        if alias in (f.MESH_UI, f.MESH_TREE):  # written by MeSH expansion (or a power user)
            return m.group()
        words = f"{m.group(1)} {value}"
        if alias not in FIELD_ALIASES:
            return words
        field = FIELD_ALIASES[alias]
        if alias in ENUM_FIELDS:
            enum = _enum_value(alias, value)
            closed = closed_values(field)
            return f"{field}:{enum}" if not closed or enum in closed else words
        if alias == "year":
            rng = _YEAR_RANGE.match(value)
            if rng:
                return f"{field}:[{rng.group(1) or ''} TO {rng.group(2) or ''}]"
            if not value.isdigit():
                return words
        bare = value.strip('"')
        if alias in ("mesh", "mh") and re.fullmatch(r"D\d{6,9}", bare, re.I):
            return f"{f.MESH_UI}:{bare.upper()}"
        return f"{field}:{value}"

    return _FIELDED.sub(one, text)


def plain_words(text: str) -> tuple[str, ...]:
    """The words of a query outside field:value pairs and operators (for MeSH and spelling)."""
    text = _FIELDED.sub(" ", text)
    return tuple(w for w in _WORD.findall(text) if w not in _OPERATORS)


class QueryBuilder:
    """Parses query strings: plain words search the weighted ALL field."""

    def __init__(self) -> None:
        self.stoplist = nltkdata.stopwords()

    def parse(
        self, text: str, expand: Callable[..., list[Match]] | None = None, mode: str = ""
    ) -> ParsedQuery:
        """Parse a query; `expand` (MeSH expansion) finds phrases to widen with alternatives.
        A description (search/querymodel.py), or any text in `mode` "patient", is read as
        words for its concepts (search/concepts.py). The shape is the words' without the
        filters (`year:2019..2023` is not three more words: it made three keywords with a
        year range a question, ranked with feedback and no word required)."""
        text = clean(text)
        shape = querymodel.shape(split_filters(text)[1])  # (a filter's words are no question's)
        if mode == "patient" or (shape == querymodel.DESCRIPTION and not _has_logic(text)):
            return self._description(text, expand, patient=mode == "patient")
        text = stray_stars(text)
        if not text:
            raise InvalidRequest("Type one or more words to search for.")
        if text.count('"') % 2:
            text = text.replace('"', " ")  # an unbalanced quote: search the words themselves
        try:
            parsed = self._parse_text(text, expand)
        except grammar.NotSyntax:  # looked like syntax and is none: the words themselves
            parsed = self._parse_text(as_words(text), expand)
        if parsed.loose is not None and shape not in REQUIRE_SHAPES:
            parsed = replace(parsed, query=parsed.loose, loose=None)  # ranked, none required
        return replace(parsed, reading=Reading(shape))

    def _description(
        self, text: str, expand: Callable[..., list[Match]] | None, patient: bool
    ) -> ParsedQuery:
        plain = as_words(text)
        if not plain:
            raise InvalidRequest("Type one or more words to search for.")
        found = describe_text(plain, lambda t: grammar.parse(t), expand, patient)
        query = self._assemble(found.tree, [], "", concepts.ASIDE_WEIGHT)
        expansions = tuple(e for m in found.matches for e in m.expansions)
        words = plain_words(plain)
        return ParsedQuery(query, plain, words, "", expansions, reading=found.reading)

    def _parse_text(self, text: str, expand: Callable[[str], list[Match]] | None) -> ParsedQuery:
        words = plain_words(text)
        if not _FIELDED.search(text) and all(
            w.lower() in self.stoplist or w in _OPERATORS for w in _WORD.findall(text)
        ):
            raise InvalidRequest("The query has nothing to search for (only stop words or NOT).")
        filters, main = split_filters(text)
        matches = expand(main) if expand is not None and main else []
        tree = self._main(main, matches) if main else None
        strict = _concepts_required(tree) if tree is not None and is_plain(main) else None
        whole = RECORD_ID.fullmatch(text)
        record_id = whole.group(1).upper() if whole else ""
        query = self._assemble(tree, filters, record_id)
        expansions = tuple(e for m in matches for e in m.expansions)
        if strict is None:
            return ParsedQuery(query, text, words, record_id, expansions)
        strict_query = self._assemble(strict, filters, record_id)
        return ParsedQuery(strict_query, text, words, record_id, expansions, loose=query)

    def _assemble(
        self, tree: qt.Node | None, filters: list[str], record_id: str, aside: float = 1.0
    ) -> qt.Node:
        """The words' tree (with its ASIDE twin) AND the filters, OR the id alone."""
        query = _with_aside(tree, aside) if tree is not None else None
        if filters:
            required = qt.And(tuple(self._parse(c) for c in filters))
            query = required if query is None else qt.And((query, required))
        assert query is not None
        query = qt.normalize(query)
        if isinstance(query, qt.Nothing):
            raise InvalidRequest("The query has nothing to search for (only stop words or NOT).")
        if record_id:
            query = qt.Or((qt.Term(f.ID, record_id, boost=1000.0), query))
        return query

    def _main(self, text: str, matches: list[Match]) -> qt.Node:
        """Plain words: an OR with coordination in which each MeSH phrase is one concept, the
        best of its alternatives (DisjunctionMax), so synonyms never add up. Boolean queries
        get the alternatives OR'ed in place instead."""
        if not matches:
            return self._parse(text)
        if _BOOLEAN.search(text) or _FIELDED.search(text):
            return self._parse(rewrite_text(text, matches))
        parts: list[qt.Node] = []
        pos = 0
        for m in sorted(matches, key=lambda m: m.start):
            if text[pos : m.start].strip():
                parts.append(self._parse(text[pos : m.start]))
            options = [self._parse(m.original), *m.queries]
            parts.append(qt.DisMax(tuple(options)))
            pos = m.end
        if text[pos:].strip():
            parts.append(self._parse(text[pos:]))
        if len(parts) == 1:
            return parts[0]
        return qt.Or(tuple(parts))

    def _parse(self, text: str) -> qt.Node:
        return grammar.parse(_rewrite_fields(text))


def concepts_needed(n: int) -> int:
    """Concepts a record must match, of the `n` of a plain query (the rule above)."""
    return n if n <= ALL_CONCEPTS_UP_TO else math.ceil(n * CONCEPT_SHARE)


def _has_logic(text: str) -> bool:
    """Operators, word prefixes (immuno*) or valid field:value pairs: a long query someone
    wrote as syntax."""
    if any(w in _OPERATORS for w in text.split()) or _WORD_PREFIX.search(text):
        return True
    return any(m.group(1).lower() in FIELD_ALIASES for m in _FIELDED.finditer(text))


def is_plain(text: str) -> bool:
    """Words and phrases only: no operators, groups or fields (the user wrote no logic)."""
    return not _BOOLEAN.search(text) and not _FIELDED.search(text)


def _concepts_required(tree: qt.Node) -> qt.Node | None:
    """The records matching every concept of a short query, most of a long one's: each word,
    or MeSH phrase with its synonyms, is a concept. None when the query has one concept."""
    tree = qt.normalize(tree)
    if isinstance(tree, qt.Or) and not tree.minimum:
        children = tree.children
    elif isinstance(tree, qt.DisMax):
        children = (tree,)  # one MeSH phrase
    else:
        return None
    concepts = [_whole(c) for c in children if not _filler(c)]
    fillers = [c for c in children if _filler(c)]
    n = len(concepts)
    if n == 0:
        return None
    if n == 1 and not fillers:
        return concepts[0] if concepts[0] != tree else None
    needed = concepts_needed(n)
    required = qt.normalize(qt.Or(tuple(concepts), qt.boost_of(tree), minimum=needed))
    if not fillers:
        return required
    return qt.AndMaybe(required, qt.normalize(qt.Or(tuple(fillers), qt.boost_of(tree))))


def _whole(concept: qt.Node) -> qt.Node:
    """A MeSH phrase as typed is one concept: the phrase itself, not any of its words ("breast
    cancer" is not matched by "cancer" alone, nor by "breast" and "cancer" far apart); its
    descriptor and synonyms still match it."""
    if isinstance(concept, qt.DisMax) and concept.children:
        typed = concept.children[0]
        if isinstance(typed, qt.Or) and not typed.minimum:
            leaves = typed.children
            if all(isinstance(c, qt.Term) and c.field == f.ALL for c in leaves):
                words = tuple(c.text for c in leaves)  # type: ignore[union-attr]
                phrase = qt.Phrase(f.ALL, words, boost=qt.boost_of(typed))
                return qt.DisMax((phrase, *concept.children[1:]))
            return qt.DisMax((qt.And(leaves, typed.boost), *concept.children[1:]))
    return concept


def _filler(node: qt.Node) -> bool:
    return isinstance(node, qt.Term) and node.field == f.ALL and node.text in _FILLER_TERMS


def _with_aside(tree: qt.Node, weight: float = 1.0) -> qt.Node:
    """Eligibility criteria and locations (fields.ASIDE) add to the score of the records the
    query matches, and never make a record match on their own."""
    aside = scaled(qt.normalize(qt.refield(tree, f.ALL, f.ASIDE)), weight)
    return tree if isinstance(aside, qt.Nothing) else qt.AndMaybe(tree, aside)


def split_filters(text: str) -> tuple[list[str], str]:
    """Pull out filter-like clauses (status:, phase:, year:, type:...) so they are required,
    not OR'ed with the words. Left alone when the user wrote parentheses or OR."""
    if "(" in text or " OR " in f" {text} ":
        return [], text
    filters: list[str] = []

    def take(m: re.Match[str]) -> str:
        if m.group(1).lower() in FILTER_ALIASES and ":" in _rewrite_fields(m.group()):
            filters.append(m.group())
            return " "
        return m.group()

    main = " ".join(_FIELDED.sub(take, text).split())
    return filters, main
