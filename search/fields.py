"""Every field name of the index is spelled here and nowhere else (engine-neutral).

One document per record; `type` tells trials, articles and MeSH descriptors apart. Text fields use
the biomedical analyzer (search/analysis.py). Facet fields are keyword fields holding the values
the facet sidebar counts. The full record is stored once, as compressed JSON, for record pages.
Each backend maps these names to its engine's own fields (search/whoosh/schema.py).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from typing import Any

from search.analysis import analyzer

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

# Searchable text. Plain keywords search ALL: every section of the record in one field, each
# token weighted by its section (BM25F: weighted term frequencies, one length normalization).
# The other text fields exist for fielded search (title:, condition:, author:...).
ALL = "all"
# Sections that add to a record's score but never make it match on their own: a trial does not
# "match" melanoma because its exclusion criteria say "non-melanoma skin cancer" or a site is
# the Melanoma Institute. They are indexed in ASIDE, which queries use as ALL's optional part.
ASIDE = "aside"
ASIDE_SECTIONS = frozenset({"eligibility", "location"})
TITLE = "title"
CONDITION = "condition"
INTERVENTION = "intervention"
KEYWORD = "keyword"
MESH = "mesh"  # names of the MeSH descriptors the record is indexed with (+ entry terms)
ENTRY_KEY = "entry_key"  # normalized heading + entry terms of a descriptor (see term_key)
SPONSOR = "sponsor"
LOCATION = "location"
AUTHOR = "author"
JOURNAL = "journal"
SPELL = "spell"  # unstemmed words of the short fields: vocabulary for "did you mean"

# Section weights inside ALL, in the spirit of ClinicalTrials.gov's search areas: ids and
# acronyms > titles > conditions / interventions / MeSH > summaries and abstracts > long text.
# Applied at index time; tuned on NFCorpus train (bench/eval_nfcorpus.py). The one place.
SECTION_WEIGHTS: dict[str, float] = {
    "ident": 8.0,
    "title": 3.0,
    "condition": 2.0,
    "intervention": 2.0,
    "mesh": 1.5,
    "keyword": 1.5,
    "entry": 1.5,
    "summary": 1.0,
    "description": 0.7,
    "outcome": 0.6,
    "author": 0.6,
    "journal": 0.3,
    "sponsor": 0.4,
    "eligibility": 0.3,
    "location": 0.2,
}

# MeSH linkage and explicit links (look-ups, not scans).
MESH_UI = "mesh_ui"  # UIs of the record's descriptors (a descriptor: its own UI)
MESH_MAJOR = "mesh_major"  # UIs of major-topic descriptors (articles)
MESH_TREE = "mesh_tree"  # tree numbers of the record's descriptors (explode = prefix query)
MESH_CAT = "mesh_cat"  # second-level tree heads of those numbers ("C04"): topic facet
LINKS = "links"  # ids the record names: a trial's reference PMIDs, an article's NCT ids

# MeSH tree categories (the letter of a tree number).
MESH_CATEGORIES: dict[str, str] = {
    "A": "Anatomy", "B": "Organisms", "C": "Diseases", "D": "Chemicals and Drugs",
    "E": "Analytical, Diagnostic and Therapeutic Techniques, and Equipment",
    "F": "Psychiatry and Psychology", "G": "Phenomena and Processes",
    "H": "Disciplines and Occupations",
    "I": "Anthropology, Education, Sociology, and Social Phenomena",
    "J": "Technology, Industry, and Agriculture", "K": "Humanities", "L": "Information Science",
    "M": "Named Groups", "N": "Health Care", "V": "Publication Characteristics",
    "Z": "Geographicals",
}  # fmt: skip

# Facets (values are the record's enum spellings; labels are the web layer's job).
STATUS = "status"
PHASE = "phase"
STUDY_TYPE = "study_type"
SEX = "sex"
AGE_GROUP = "age_group"  # child | adult | older_adult
SPONSOR_CLASS = "sponsor_class"
HAS_RESULTS = "has_results"  # yes | no
COUNTRY = "country"  # countries of a trial's sites, as ClinicalTrials.gov names them
START_YEAR = "start_year"
PUB_YEAR = "pub_year"
PUB_TYPE = "pub_type"
JOURNAL_NAME = "journal_name"  # the journal as one facet value
LANGUAGE = "language"

# Numbers for ranges and sorting.
YEAR = "year"  # trial start year / article publication year
DATE = "date"  # YYYYMMDD (partial dates padded with 00), 0 when undated: newest first
DATE_ASC = "date_asc"  # the same, 99999999 when undated: oldest first, undated last
UNDATED = 99_999_999  # DATE_ASC of an undated record; a date sort lists undated records last
UPDATED = "updated"  # a trial's last update posted, YYYYMMDD; absent elsewhere (sort "updated")

TEXT_FIELDS = (
    ALL, ASIDE, TITLE, CONDITION, INTERVENTION, KEYWORD, MESH, SPONSOR, LOCATION, JOURNAL,
)  # fmt: skip
FACET_FIELDS = (
    TYPE, STATUS, PHASE, STUDY_TYPE, SEX, AGE_GROUP, SPONSOR_CLASS, HAS_RESULTS, COUNTRY,
    START_YEAR, PUB_YEAR, PUB_TYPE, JOURNAL_NAME, LANGUAGE, MESH_UI, MESH_CAT,
)  # fmt: skip


VALUE_SEP = "\x1d"  # separates the values of a multi-valued keyword field (values may hold commas)


def join_values(values: Iterable[str]) -> str:
    """One keyword-field value from several (order kept, duplicates and blanks dropped)."""
    return VALUE_SEP.join(dict.fromkeys(v.replace(VALUE_SEP, " ") for v in values if v))


def term_key(text: str) -> str:
    """An order-insensitive key of a term: its sorted stems ("Infarction, Myocardial" and
    "myocardial infarctions" -> "infarct myocardi"). MeSH look-ups match query words by it."""
    return " ".join(sorted(set(_KEY_ANALYZER.query_terms(text))))


_KEY_ANALYZER = analyzer()


def pack_record(data: dict[str, Any]) -> bytes:
    """The stored form of a record: compact JSON, zlib-compressed."""
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 6)


def unpack_record(blob: bytes) -> dict[str, Any]:
    """The record dict stored with a document."""
    return json.loads(zlib.decompress(blob).decode("utf-8"))
