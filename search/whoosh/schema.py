"""THE Whoosh schema: the neutral field names of search/fields.py as Whoosh field types."""

from __future__ import annotations

from whoosh import fields
from whoosh.analysis import RegexTokenizer, SimpleAnalyzer

from search.fields import (
    AUTHOR,
    DATE,
    DATE_ASC,
    DISPLAY_DATE,
    ENTRY_KEY,
    FACET_FIELDS,
    HASH,
    ID,
    IDENT,
    LINKS,
    MESH_CAT,
    MESH_MAJOR,
    MESH_TREE,
    MESH_UI,
    RECORD,
    SPELL,
    TEXT_FIELDS,
    TITLE,
    TYPE,
    UPDATED,
    VALUE_SEP,
    YEAR,
)  # fmt: skip
from search.whoosh.analysis import analyzer, exact_analyzer


def _keywords(stored: bool = False) -> fields.KEYWORD:
    # Values keep their case and spaces ("Research Support, U.S. Gov't, Non-P.H.S.", "PHASE2").
    return fields.KEYWORD(stored=stored, scorable=True, analyzer=RegexTokenizer(f"[^{VALUE_SEP}]+"))


def build_schema() -> fields.Schema:
    """A new Schema object (Whoosh schemas are mutable; never share one between indexes)."""
    text = analyzer()
    return fields.Schema(
        **{
            ID: fields.ID(stored=True, unique=True),
            TYPE: fields.ID(stored=True),
            IDENT: fields.KEYWORD(commas=True, lowercase=True, scorable=True),
            RECORD: fields.STORED(),
            HASH: fields.ID(stored=True),
            DISPLAY_DATE: fields.STORED(),
            TITLE: fields.TEXT(analyzer=text, stored=True),
            **{name: fields.TEXT(analyzer=text) for name in TEXT_FIELDS if name != TITLE},
            AUTHOR: fields.TEXT(analyzer=SimpleAnalyzer()),
            SPELL: fields.TEXT(analyzer=exact_analyzer(), phrase=False),
            ENTRY_KEY: _keywords(),
            MESH_UI: _keywords(),
            MESH_MAJOR: _keywords(),
            MESH_TREE: _keywords(),
            MESH_CAT: _keywords(),
            LINKS: _keywords(),
            **{name: _keywords() for name in FACET_FIELDS if name not in (TYPE, MESH_UI, MESH_CAT)},
            YEAR: fields.NUMERIC(int, bits=32, signed=False, sortable=True),
            DATE: fields.NUMERIC(int, bits=32, signed=False, sortable=True),
            DATE_ASC: fields.NUMERIC(int, bits=32, signed=False, sortable=True),
            UPDATED: fields.NUMERIC(int, bits=32, signed=False, sortable=True),
        }
    )
