"""THE Whoosh schema: every field name of the index is spelled here and nowhere else.

One document per record; `type` tells trials, articles and MeSH descriptors apart. Text fields use
the biomedical analyzer (search/analysis.py). Facet fields are keyword fields holding the values
the facet sidebar counts. The full record is stored once, as compressed JSON, for record pages.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from whoosh import fields
from whoosh.analysis import SimpleAnalyzer

from search.analysis import analyzer, exact_analyzer

# Record types (the values of the `type` field).
TRIAL = "trial"
ARTICLE = "article"
MESH_TYPE = "mesh"
TYPES = (TRIAL, ARTICLE, MESH_TYPE)

# Identity and stored display fields.
ID = "id"  # NCT id, PMID or MeSH UI: unique
TYPE = "type"
IDENT = "ident"  # every identifier and acronym of the record, lower-cased keywords
RECORD = "record"  # the whole record as zlib-compressed JSON (stored only)
HASH = "hash"  # content hash of the record, to detect unchanged records on update
DISPLAY_DATE = "display_date"  # stored: the date shown in result lists

# Searchable text.
TITLE = "title"
SUMMARY = "summary"  # brief summary, abstract or scope note
DESCRIPTION = "description"  # detailed description (trials)
CONDITION = "condition"
INTERVENTION = "intervention"
KEYWORD = "keyword"
MESH = "mesh"  # names of the MeSH descriptors the record is indexed with
ENTRY = "entry"  # MeSH entry terms (MeSH descriptors only)
ENTRY_KEY = "entry_key"  # normalized heading + entry terms of a descriptor (see term_key)
ELIGIBILITY = "eligibility"
OUTCOME = "outcome"
SPONSOR = "sponsor"
LOCATION = "location"
AUTHOR = "author"
JOURNAL = "journal"
SPELL = "spell"  # unstemmed words of the short fields: vocabulary for "did you mean"

# MeSH linkage and explicit links (look-ups, not scans).
MESH_UI = "mesh_ui"  # UIs of the record's descriptors (a descriptor: its own UI)
MESH_MAJOR = "mesh_major"  # UIs of major-topic descriptors (articles)
MESH_TREE = "mesh_tree"  # tree numbers of the record's descriptors (explode = prefix query)
MESH_CAT = "mesh_cat"  # second-level tree heads of those numbers ("C04"): topic facet
LINKS = "links"  # ids the record names: a trial's reference PMIDs, an article's NCT ids

# Facets (values are the record's enum spellings; labels are the web layer's job).
STATUS = "status"
PHASE = "phase"
STUDY_TYPE = "study_type"
SEX = "sex"
AGE_GROUP = "age_group"  # child | adult | older_adult
SPONSOR_CLASS = "sponsor_class"
HAS_RESULTS = "has_results"  # yes | no
START_YEAR = "start_year"
PUB_YEAR = "pub_year"
PUB_TYPE = "pub_type"
JOURNAL_NAME = "journal_name"  # the journal as one facet value
LANGUAGE = "language"

# Numbers for ranges and sorting.
YEAR = "year"  # trial start year / article publication year
DATE = "date"  # YYYYMMDD (partial dates padded with 00), 0 when undated: newest first
DATE_ASC = "date_asc"  # the same, 99999999 when undated: oldest first, undated last

TEXT_FIELDS = (
    TITLE, SUMMARY, DESCRIPTION, CONDITION, INTERVENTION, KEYWORD, MESH, ENTRY,
    ELIGIBILITY, OUTCOME, SPONSOR, LOCATION,
)  # fmt: skip
FACET_FIELDS = (
    TYPE, STATUS, PHASE, STUDY_TYPE, SEX, AGE_GROUP, SPONSOR_CLASS, HAS_RESULTS, START_YEAR,
    PUB_YEAR, PUB_TYPE, JOURNAL_NAME, LANGUAGE, MESH_UI, MESH_CAT,
)  # fmt: skip


def _keywords(stored: bool = False) -> fields.KEYWORD:
    # Comma-separated values; values keep their case (enums, UIs, years).
    return fields.KEYWORD(stored=stored, commas=True, scorable=True)


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
            JOURNAL: fields.TEXT(analyzer=text),
            SPELL: fields.TEXT(analyzer=exact_analyzer(), phrase=False),
            ENTRY_KEY: fields.KEYWORD(commas=True),
            MESH_UI: _keywords(),
            MESH_MAJOR: _keywords(),
            MESH_TREE: _keywords(),
            MESH_CAT: _keywords(),
            LINKS: _keywords(),
            **{
                name: _keywords()
                for name in FACET_FIELDS
                if name not in (TYPE, MESH_UI, MESH_CAT)
            },
            YEAR: fields.NUMERIC(int, bits=32, signed=False, sortable=True),
            DATE: fields.NUMERIC(int, bits=32, signed=False, sortable=True),
            DATE_ASC: fields.NUMERIC(int, bits=32, signed=False, sortable=True),
        }
    )


def term_key(text: str) -> str:
    """An order-insensitive key of a term: its sorted stems ("Infarction, Myocardial" and
    "myocardial infarctions" -> "infarct myocardi"). MeSH look-ups match query words by it."""
    return " ".join(sorted(set(_KEY_ANALYZER.terms(text, mode="query"))))


_KEY_ANALYZER = analyzer()


def pack_record(data: dict[str, Any]) -> bytes:
    """The stored form of a record: compact JSON, zlib-compressed."""
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 6)


def unpack_record(blob: bytes) -> dict[str, Any]:
    """The record dict stored with a document."""
    return json.loads(zlib.decompress(blob).decode("utf-8"))
