"""A search's term statistics (and its page's documents) over shards, gathered in one request
per count server.

Translating a query (search/xapian/query.py) asks the database, for each word of each field,
its document frequency, its frequency in each record type's documents (typestats.py) and the
count terms of its wdfs (an `allterms` listing). Over remote shards each of those is a round
trip (a count per type one match with a spy over the word's postings on every shard): at 10x
(628,607 records, 2 shards) that was about a third of a search's wall time. A search served
by count servers (search/xapian/counters.py) asks them all at once before it translates: each
count server answers for its own shard (`shard_stats`: counts over its local database, no
spy), the web node adds the shards' answers up (the same numbers a database made of the
shards gives: sums of frequencies, listings merged) and puts them in the caches the
translation reads (`remember`). A word the request did not name (a feedback clause's, a
prefix's) is still asked for as before. The field words it names as `held` come with their
postings (docids and wdfs: search/xapian/sources.py reads those of a word held by at most
MAX_HELD documents, over shards a match on every shard for each word) when the shard holds
few enough of them, each shard reading its own locally.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
import xapian

from search import querytree as qt
from search.errors import InvalidRequest
from search.xapian.lengths import postings
from search.xapian.matching import nodes
from search.xapian.schema import (
    CONSTANT_FIELDS,
    DOCUMENT_SLOTS,
    LENGTH_SLOTS,
    NUMBER_SLOTS,
    TF_MARK,
    TF_PREFIX,
    term,
)
from search.xapian.sources import MAX_HELD
from search.xapian.typestats import TypeCounts

if TYPE_CHECKING:
    from search.xapian.sources import _Held

MAX_TERMS = 4_000  # terms in one request
MAX_PREFIXES = 4_000  # prefixes listed in one request
MAX_LISTED = 2_000  # terms listed under one prefix (a word's count terms: one per wdf above 1)
MAX_TEXT = 1_000  # characters of one term or prefix
MAX_DOCUMENTS = 1_000  # documents in one request (a page has at most 100)
MAX_POSTINGS = 400_000  # postings sent in one answer (the words beyond: no postings)

# a shard's answer: term -> [documents holding it, {record type: those of that type}];
# prefix -> [[term, documents holding it], ...] in term order (None: more than MAX_LISTED);
# held term -> [docids, wdfs] (base64 of little-endian int32; None: too many, not sent)
TermAnswer = list  # [int, dict[str, int]]
Answer = dict[str, dict[str, Any]]


def check(terms: Any, prefixes: Any, held: Any = None) -> tuple[list[str], list[str], list[str]]:
    """The request's terms, prefixes and held terms (InvalidRequest when they are not lists
    of strings within the limits; `held` absent: none)."""
    held = [] if held is None else held
    for name, given, limit in (
        ("terms", terms, MAX_TERMS),
        ("prefixes", prefixes, MAX_PREFIXES),
        ("held", held, MAX_TERMS),
    ):
        if not isinstance(given, list) or len(given) > limit:
            raise InvalidRequest(f"`{name}` must be a list of at most {limit:,} strings.")
        if not all(isinstance(t, str) and 0 < len(t) <= MAX_TEXT for t in given):
            raise InvalidRequest(f"Each of `{name}` is a string of 1 to {MAX_TEXT} characters.")
    return terms, prefixes, held


def shard_stats(
    db: xapian.Database,
    types: TypeCounts,
    terms: list[str],
    prefixes: list[str],
    held: Sequence[str] = (),
) -> Answer:
    """One database's (a shard's) statistics of `terms` and listings under `prefixes`; `types`:
    its frequencies per type (counted with a filter per type, kept while it is open); the
    postings of the `held` terms it holds at most MAX_HELD of (at most MAX_POSTINGS in all),
    whose frequencies per type are then counted from those postings (TypeCounts.read: no
    match per type: 0.69 ms a term at 10x, 1.43 of the count servers' 3.1 s of statistics
    in a profile of 193 searches, /tmp/s12/p10.prof)."""
    frequencies = {key: db.get_termfreq(key) for key in terms}
    sent = _postings(db, types, held, frequencies)
    found: dict[str, TermAnswer] = {}
    for key, n in frequencies.items():
        found[key] = [n, types.named(key, n) if n and types.types else {}]
    listed: dict[str, list[list[Any]] | None] = {}
    for pre in prefixes:
        items = [
            [i.term.decode("utf-8"), i.termfreq] for i in islice(db.allterms(pre), MAX_LISTED + 1)
        ]
        listed[pre] = items if len(items) <= MAX_LISTED else None
    return {"terms": found, "prefixes": listed, "postings": sent}


def _postings(
    db: xapian.Database, types: TypeCounts, held: Sequence[str], frequencies: dict[str, int]
) -> dict[str, list[str] | None]:
    """The postings of the `held` terms the database holds at most MAX_HELD of (at most
    MAX_POSTINGS in all; None beyond), each term's frequencies per type counted from them."""
    sent: dict[str, list[str] | None] = {}
    budget = MAX_POSTINGS
    for key in held:
        n = frequencies[key] if key in frequencies else db.get_termfreq(key)
        if n > min(MAX_HELD, budget):
            sent[key] = None
            continue
        budget -= n
        docids, wdfs = postings(db, key, n) if n else (np.empty(0, int), np.empty(0, int))
        if n:
            types.read(key, docids)
        sent[key] = [_b64(docids.astype("<i4").tobytes()), _b64(wdfs.astype("<i4").tobytes())]
    return sent


def add_up(answers: list[Answer]) -> Answer:
    """The shards' answers as one database's: frequencies added, listings merged in term
    order with their frequencies added (None when a shard listed too many)."""
    terms: dict[str, TermAnswer] = {}
    for answer in answers:
        for key, (n, per_type) in answer["terms"].items():
            total = terms.setdefault(key, [0, {}])
            total[0] += n
            for kind, c in per_type.items():
                total[1][kind] = total[1].get(kind, 0) + c
    prefixes: dict[str, list[list[Any]] | None] = {}
    for pre in answers[0]["prefixes"] if answers else ():
        parts = [a["prefixes"].get(pre) for a in answers]
        if any(p is None for p in parts):
            prefixes[pre] = None
            continue
        merged: dict[str, int] = {}
        for part in parts:
            for text, n in part:  # type: ignore[union-attr]
                merged[text] = merged.get(text, 0) + n
        keys = sorted(merged, key=lambda t: t.encode("utf-8"))  # allterms' order: bytes
        prefixes[pre] = [[t, merged[t]] for t in keys] if len(keys) <= MAX_LISTED else None
    return {"terms": terms, "prefixes": prefixes, "postings": _held_postings(answers)}


def _held_postings(answers: list[Answer]) -> dict[str, Any]:
    """Each held term's postings over the shards (docids of the database made of them,
    ascending, and wdfs), when every shard sent its own (else None)."""
    out: dict[str, Any] = {}
    shards = len(answers)
    for key in answers[0].get("postings", {}) if answers else ():
        parts = [a.get("postings", {}).get(key) for a in answers]
        if any(p is None for p in parts):
            out[key] = None
            continue
        docids, wdfs = [], []
        for k, (local, wdf) in enumerate(parts):  # type: ignore[misc]
            ids = np.frombuffer(base64.b64decode(local), "<i4").astype(np.int64)
            docids.append(merged_docid(ids, k, shards))
            wdfs.append(np.frombuffer(base64.b64decode(wdf), "<i4").astype(np.int64))
        joined = np.concatenate(docids)
        order = np.argsort(joined, kind="stable")
        out[key] = (joined[order], np.concatenate(wdfs)[order])
    return out


def wanted(trees: Iterable[qt.Node | None]) -> tuple[list[str], list[str]]:
    """The terms whose statistics translating `trees` asks for, and the count terms' prefixes
    of the field words among them (prefixes' words are expanded during the translation);
    those field words are the ones to ask `held` (`held_of`)."""
    terms: dict[str, None] = {}
    prefixes: dict[str, None] = {}
    for tree in trees:
        if tree is None:
            continue
        for node in nodes(tree):
            if isinstance(node, qt.Term):
                pairs: Iterable[tuple[str, str]] = ((node.field, node.text),)
            elif isinstance(node, qt.Phrase):
                pairs = ((node.field, w) for w in node.words)
            else:
                continue
            for field, text in pairs:
                if field in NUMBER_SLOTS or field in CONSTANT_FIELDS:
                    continue
                key = term(field, text)
                if len(key) + len(TF_PREFIX + TF_MARK) > MAX_TEXT:  # (no index term is so long:
                    continue  # the translation finds it absent on its own)
                terms[key] = None
                if field in LENGTH_SLOTS:
                    prefixes[TF_PREFIX + key + TF_MARK] = None
    return list(terms)[:MAX_TERMS], list(prefixes)[:MAX_PREFIXES]  # (the rest: asked as before)


def held_of(prefixes: list[str]) -> list[str]:
    """The field words whose count terms' prefixes `wanted` listed: those whose postings a
    translation reads when few documents hold them."""
    return [p[len(TF_PREFIX) : -len(TF_MARK)] for p in prefixes]


def remember(answer: Answer, db: Any, types: TypeCounts | None, held: _Held | None = None) -> None:
    """Put the added-up statistics where the translation reads them: the shards' frequency
    and listing caches (search/xapian/shards.py RemoteShards), `types`' frequencies and the
    postings of the words held by at most MAX_HELD documents in `held`."""
    for key, (n, per_type) in answer["terms"].items():
        db.remember_termfreq(key, n)
        if types is not None and n:
            types.remember(key, per_type)
    for key, found in answer.get("postings", {}).items():
        if held is not None and found is not None and len(found[0]) <= MAX_HELD:
            held.remember(key, found)
    for pre, items in answer["prefixes"].items():
        if items is not None:
            db.remember_terms(pre, [(t.encode("utf-8"), n) for t, n in items])


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
        values = {str(s): _b64(v) for s in DOCUMENT_SLOTS if (v := doc.get_value(s))}
        out[str(docid)] = [_b64(doc.get_data()), values]
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


def _b64(raw: bytes) -> str:
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
