"""A record's identity and content as the index keeps them: its id, its type, its plain
JSON-ready data (stored in the document: indexer/documents.py) and the hash of that data (an
update tells changed records from unchanged ones by it)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from typing import Any

from indexer.records import Article, MeshDescriptor, Trial
from search import fields as f


def content_hash(record: Any) -> str:
    """A stable hash of a record's content, to tell changed records from unchanged ones."""
    return _digest(record_dict(record))


def record_content(record: Any) -> tuple[dict[str, Any], str]:
    """The record's record_dict and its content_hash, made once: `to_document` takes them (a
    build asks its writer whether a copy with this hash is new before making the document)."""
    data = record_dict(record)
    return data, _digest(data)


def _digest(data: dict[str, Any]) -> str:
    """content_hash of the record whose record_dict is `data`."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def record_dict(record: Any) -> dict[str, Any]:
    """The record as plain JSON-ready data (tuples become lists), with its type. The same as
    dataclasses.asdict, which deep-copies every value and cost 8% of a build."""
    data = _plain(record)
    data["type"] = record_type(record)
    return data


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_ATOMS = frozenset({str, int, float, bool, type(None)})  # kept as they are (exact types)


def _plain(value: Any) -> Any:
    cls = type(value)
    if cls in _ATOMS:
        return value
    # an atom inside is taken here, not through a call (most of a record's values are strings)
    if cls is tuple or cls is list:
        return [v if type(v) in _ATOMS else _plain(v) for v in value]
    names = _FIELD_NAMES.get(cls)
    if names is None:
        if not dataclasses.is_dataclass(value):
            return copy.deepcopy(value)
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(value))
    return {name: v if type(v := getattr(value, name)) in _ATOMS else _plain(v) for name in names}


def record_type(record: Any) -> str:
    if isinstance(record, Trial):
        return f.TRIAL
    if isinstance(record, Article):
        return f.ARTICLE
    if isinstance(record, MeshDescriptor):
        return f.MESH_TYPE
    raise TypeError(f"not an indexable record: {type(record).__name__}")


def record_id(record: Any) -> str:
    if isinstance(record, Trial):
        return record.nct_id
    if isinstance(record, Article):
        return record.pmid
    return record.ui
