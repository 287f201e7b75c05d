"""What a web node reads of the shards' documents through their count servers (a page's
documents, search/xapian/counters.py `documents`), and the docids of a database made of shards:
Xapian interleaves the shards' own docids (docid d of shard k of N is (d - 1) x N + k + 1).
"""

from __future__ import annotations

import base64
from typing import Any

import xapian

from search.errors import InvalidRequest
from search.xapian.schema import DOCUMENT_SLOTS

MAX_DOCUMENTS = 1_000  # documents in one request (a page has at most 100)


def check_docids(docids: Any) -> list[int]:
    """The request's docids (InvalidRequest unless a list of at most MAX_DOCUMENTS positive
    integers)."""
    if not isinstance(docids, list) or len(docids) > MAX_DOCUMENTS:
        raise InvalidRequest(f"`docids` must be a list of at most {MAX_DOCUMENTS:,} numbers.")
    if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in docids):
        raise InvalidRequest("Each of `docids` is a document number from 1.")
    return docids


def shard_documents(db: xapian.Database, docids: list[int]) -> dict[str, Any]:
    """The data and DOCUMENT_SLOTS values of a shard's documents (its own docids), as JSON:
    docid -> [data, {slot: value}] in base64; a docid the shard does not hold is left out.
    (Each value is read by its slot: Document.values() reads the document's whole term list
    first, ~10x the time.)"""
    out: dict[str, Any] = {}
    for docid in docids:
        try:
            doc = db.get_document(docid)
        except xapian.DocNotFoundError:
            continue
        values = {str(s): b64(v) for s in DOCUMENT_SLOTS if (v := doc.get_value(s))}
        out[str(docid)] = [b64(doc.get_data()), values]
    return out


def document(found: list[Any]) -> xapian.Document:
    """A document as `shard_documents` sent it: its data and DOCUMENT_SLOTS values (what the
    pages read of a document; not its terms)."""
    data, values = found
    doc = xapian.Document()
    doc.set_data(base64.b64decode(data))
    for slot, value in values.items():
        doc.add_value(int(slot), base64.b64decode(value))
    return doc


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def by_shard(docids: list[int], shards: int) -> list[list[int]]:
    """Each shard's own docids of these docids of the database made of `shards` shards (Xapian
    interleaves them: docid d of shard k is (d - 1) x shards + k + 1)."""
    wanted: list[list[int]] = [[] for _ in range(shards)]
    for docid in docids:
        wanted[(docid - 1) % shards].append((docid - 1) // shards + 1)
    return wanted


def by_docid(found: dict[str, Any], k: int, shards: int) -> dict[int, xapian.Document]:
    """Shard k's answer (its docids) by the docids of the database made of the shards."""
    return {merged_docid(int(d), k, shards): document(v) for d, v in found.items()}


def merged_docid(local: Any, k: int, shards: int) -> Any:
    """The docid (or NumPy array of docids) in the database made of `shards` shards of shard
    k's own `local` docid(s): Xapian interleaves them (by_shard is the way back)."""
    return (local - 1) * shards + k + 1
