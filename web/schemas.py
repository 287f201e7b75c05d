"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of what the JSON routes answer: the
`components/schemas` of /api/openapi.json. Records are described by the keys every record of a
type has; a record carries more fields than listed (additionalProperties stays open)."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

TYPES = ("trial", "article", "mesh")


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None, **extra) -> Schema:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
        **extra,
    }


STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer", "minimum": 0}
STRS: Schema = {"type": "array", "items": STR}
NULL_STR: Schema = {"type": ["string", "null"]}
DATE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
RECORD_TYPE: Schema = {"type": "string", "enum": list(TYPES)}


def _counts(item: Schema) -> Schema:
    return _obj(dict.fromkeys(TYPES, item), additionalProperties=False)


ERROR = _obj(
    {
        "error": {**STR, "description": "One sentence a person can read."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
    },
    additionalProperties=False,
)
FACET_VALUE = _obj(
    {"value": STR, "label": STR, "count": INT, "selected": {"type": "boolean"}},
    additionalProperties=False,
)
EXPANSION = _obj(
    {
        "phrase": STR,
        "ui": STR,
        "heading": STR,
        "mode": {"type": "string", "enum": ["synonyms", "explode"]},
        "narrower": INT,
    },
    additionalProperties=False,
)
HIT = _obj(
    {
        "id": STR,
        "type": RECORD_TYPE,
        "title": STR,
        "url": {**STR, "pattern": "^/(trial|article|mesh)/"},
        "snippet": {**STR, "description": "HTML: escaped text, <mark> around matched words."},
        "score": {"type": ["number", "null"], "description": "null when sorted by date"},
        "partial": {"type": "boolean", "description": "listed after the full matches"},
    },
    description="A result; type-specific summary fields follow (status, phases, journal...).",
)


def search_page(facet_names: list[str]) -> Schema:
    return _obj(
        {
            "total": INT,
            "page": {"type": "integer", "minimum": 1},
            "size": {"type": "integer", "minimum": 1},
            "hits": {"type": "array", "items": ref("Hit")},
            "facets": {
                "type": "object",
                "propertyNames": {"enum": facet_names},
                "additionalProperties": {"type": "array", "items": ref("FacetValue")},
            },
            "suggestion": NULL_STR,
            "query": _obj(
                {"parsed": STR, "expanded": {"type": "array", "items": ref("Expansion")}},
                additionalProperties=False,
            ),
            "partial": {
                "type": "boolean",
                "description": "No record matched enough of the words; these match some of them.",
            },
            "more": {
                **INT,
                "description": "Records with some of the words, listed after the `total` ones "
                "(relevance order); paging goes through both.",
            },
            "query_used": {
                **STR,
                "description": "The text searched: `q`, or its spelling correction when "
                "`corrected_from` is set.",
            },
            "corrected_from": {
                **NULL_STR,
                "description": "`q` as typed when it found (almost) nothing and a confident "
                "spelling correction (`query_used`) was searched instead; null otherwise. "
                "`spell=off` searches `q` as typed.",
            },
            "strong": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Date sorts: how many of the `total` are strong matches (the "
                "words in a title, condition, intervention, keyword or MeSH term), listed first; "
                "null for relevance, or when every match is strong.",
            },
            "reading": {
                "oneOf": [{"type": "null"}, ref("Reading")],
                "description": "How the query text was read; null when there is none.",
            },
        },
        {"ranking": RANKING},
        additionalProperties=False,
    )


READING = _obj(
    {
        "shape": {"type": "string", "enum": ["keywords", "question", "description"]},
        "concepts": {**STRS, "description": "MeSH headings found in a description"},
        "negated": {**STRS, "description": "negated stretches left out of the search"},
        "age": {"type": ["number", "null"], "description": "the patient's age in years"},
        "sex": {"type": "string", "enum": ["male", "female", ""]},
        "eligible_first": {
            "type": "boolean",
            "description": "trials admitting the patient's age and sex ranked above the others",
        },
    },
    additionalProperties=False,
    description="Shape of the query (keywords, question, description); for a description its "
    "concepts and negations; in patient mode the age and sex read from it.",
)


RANKING = {
    "type": "string",
    "enum": ["bm25", "bm25+semantic", "bm25+semantic+ltr"],
    "description": "How relevance was ranked: BM25 alone (rank=bm25, a date sort, or an index "
    "without vectors), BM25 fused with the semantic similarity of its first records, or that "
    "fused pool ordered again by the learned model (the default where the index has vectors).",
}
TRIAL = _obj(
    {
        "type": {"const": "trial"},
        "nct_id": {**STR, "pattern": "^NCT[0-9]{8}$"},
        "brief_title": STR,
        "official_title": STR,
        "conditions": STRS,
        "phases": STRS,
        "overall_status": STR,
        "study_type": STR,
        "start_date": STR,
        "lead_sponsor": STR,
        "interventions": {"type": "array", "items": _obj({"type": STR, "name": STR})},
    },
    {"enrollment": {"type": ["integer", "null"]}, "has_results": {"type": "boolean"}},
)
ARTICLE = _obj(
    {
        "type": {"const": "article"},
        "pmid": {**STR, "pattern": "^[0-9]+$"},
        "title": STR,
        "abstract": {"type": "array", "items": _obj({"label": STR, "text": STR})},
        "journal_title": STR,
        "pub_date": STR,
        "pub_year": {"type": ["integer", "null"]},
        "authors": {"type": "array", "items": {"type": "object"}},
        "mesh_headings": {
            "type": "array",
            "items": _obj({"ui": STR, "name": STR, "major": {"type": "boolean"}}),
        },
        "publication_types": STRS,
    },
    {"doi": STR},
)
MESH = _obj(
    {
        "type": {"const": "mesh"},
        "ui": {**STR, "pattern": "^D[0-9]+$"},
        "heading": STR,
        "scope_note": STR,
        "entry_terms": STRS,
        "tree_numbers": STRS,
    }
)
RECORD: Schema = {
    "oneOf": [ref("Trial"), ref("Article"), ref("MeshDescriptor")],
    "discriminator": {
        "propertyName": "type",
        "mapping": {
            "trial": "#/components/schemas/Trial",
            "article": "#/components/schemas/Article",
            "mesh": "#/components/schemas/MeshDescriptor",
        },
    },
}
ITEM = _obj(
    {
        "id": STR,
        "type": RECORD_TYPE,
        "title": STR,
        "url": STR,
        "reason": {**STR, "description": "Why it is related."},
        "explicit": {"type": "boolean"},
        "score": {"type": ["number", "null"], "description": "null for an explicit link"},
    },
    {"scope_note": STR},
    additionalProperties=False,
)
RELATED = _obj(
    {
        "trials": {"type": "array", "items": ref("RelatedItem")},
        "articles": {"type": "array", "items": ref("RelatedItem")},
        "mesh": {"type": "array", "items": ref("RelatedItem")},
        "totals": _obj(dict.fromkeys(("trials", "articles", "mesh"), INT)),
        "explicit": _obj(dict.fromkeys(("trials", "articles", "mesh"), INT)),
        "strong": {
            **_obj(dict.fromkeys(("trials", "articles", "mesh"), INT)),
            "description": "Close matches among the `totals`: explicit links, and similar "
            "records scoring at least half as high as the best one (all of them for MeSH).",
        },
        "more": {
            **_obj(dict.fromkeys(("trials", "articles"), NULL_STR)),
            "description": "A search URL listing the weaker related records too (null when "
            "the record has no MeSH descriptor or key word to search with).",
        },
        "topics": {
            "type": "array",
            "items": _obj(
                {"value": STR, "label": STR, "category": STR, "count": INT, "url": STR},
                additionalProperties=False,
            ),
        },
        "undefined_mesh": {
            "type": "array",
            "description": "MeSH terms of the record that no descriptor in the index defines.",
            "items": _obj({"term": STR, "reason": STR}, additionalProperties=False),
        },
        "id": STR,
        "type": RECORD_TYPE,
    },
    additionalProperties=False,
)
SHARD = _obj(
    {
        "shard": {**STR, "description": "HOST:PORT of a shard server, or a local shard's path."},
        "status": {"type": "string", "enum": ["ok", "down"]},
    },
    {
        "documents": INT,
        "build": {**STR, "description": "The build the shard holds (the same on every shard)."},
        "error": {**STR, "description": "Why the shard did not answer."},
    },
    additionalProperties=False,
)
SHARDS = {"type": "array", "items": SHARD, "description": "Every shard of a sharded index."}
COUNTER = _obj(
    {
        "counter": {**STR, "description": "HOST:PORT of a shard's count server."},
        "status": {"type": "string", "enum": ["ok", "down"]},
    },
    {
        "documents": INT,
        "build": {**STR, "description": "The newest build the count server counts."},
        "error": {**STR, "description": "Why the count server did not answer."},
    },
    additionalProperties=False,
)
COUNTERS = {
    "type": "array",
    "items": COUNTER,
    "description": "The count server of each shard, when the index has count servers.",
}
HEALTH = _obj(
    {
        "status": {"const": "ok"},
        "counts": _counts(INT),
        "snapshots": {"type": "object", "additionalProperties": STR},
        "built_at": DATE_TIME,
        "updated_at": DATE_TIME,
    },
    {"shards": SHARDS, "counters": COUNTERS, "ranking": RANKING},
    additionalProperties=False,
)
NO_INDEX = _obj(
    {"status": {"const": "no index"}, "error": STR},
    additionalProperties=False,
)
SHARD_DOWN = _obj(
    {"status": {"const": "shard down"}, "error": STR, "shards": SHARDS},
    {"counters": COUNTERS},
    additionalProperties=False,
)
EXPORT_RECORD = _obj(
    {
        "relation": {"type": "string", "enum": ["record", "hit", "trial", "article", "mesh"]},
        "reason": STR,
        "url": STR,
        "record": ref("Record"),
    },
    additionalProperties=False,
)
SEARCH_EXPORT = _obj(
    {
        "query": {
            "type": "object",
            "additionalProperties": {"oneOf": [STR, STRS]},
            "description": "The parameters of the search, as given.",
        },
        "total": INT,
        "exported": INT,
        "max": INT,
        "records": {"type": "array", "items": ref("ExportedRecord")},
    },
    additionalProperties=False,
)
CHOSEN_EXPORT = _obj(
    {
        "ids": {**STRS, "description": "The ids asked for, each once, in their order."},
        "exported": INT,
        "missing": {**STRS, "description": "Ids no record has: skipped."},
        "records": {"type": "array", "items": ref("ExportedRecord")},
    },
    additionalProperties=False,
)
RECORD_EXPORT = _obj(
    {
        "id": STR,
        "totals": _obj(dict.fromkeys(("trials", "articles", "mesh"), INT)),
        "records": {"type": "array", "items": ref("ExportedRecord")},
    },
    additionalProperties=False,
)


def components(facet_names: list[str]) -> dict[str, Schema]:
    return {
        "Error": ERROR,
        "SearchPage": search_page(facet_names),
        "Hit": HIT,
        "Reading": READING,
        "FacetValue": FACET_VALUE,
        "Expansion": EXPANSION,
        "Record": RECORD,
        "Trial": TRIAL,
        "Article": ARTICLE,
        "MeshDescriptor": MESH,
        "Related": RELATED,
        "RelatedItem": ITEM,
        "Health": HEALTH,
        "NoIndex": NO_INDEX,
        "ShardDown": SHARD_DOWN,
        "ExportedRecord": EXPORT_RECORD,
        "SearchExport": SEARCH_EXPORT,
        "RecordExport": RECORD_EXPORT,
        "ChosenExport": CHOSEN_EXPORT,
    }
