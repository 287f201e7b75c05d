"""The Xapian backend: the only package (with nothing else) that imports xapian.

Layout: schema.py (prefixes, value slots, documents), writer.py (Writer: create, update),
files.py (copying a database, the file system's refusals as OSError),
query.py (the neutral tree as xapian.Query), engine.py (Reader), tables.py and facets.py
(match-set arrays, filters and counts), hits.py, view.py (the index view of related items,
MeSH pages and did-you-mean: search/view.py); shards.py, shardwriter.py and remote.py (an index
split into shards, written in parallel and searched as one, local or behind xapian-tcpsrv).
"""

from search.xapian.remote import reader as Reader  # noqa: N812 - the backend's Reader
from search.xapian.shards import exists_in
from search.xapian.shards import shard_dirs as databases
from search.xapian.shardwriter import create, gather, update

NAME = "xapian"

__all__ = ["NAME", "Reader", "create", "databases", "exists_in", "gather", "update"]
