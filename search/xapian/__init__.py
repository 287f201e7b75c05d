"""The Xapian backend: the only package (with nothing else) that imports xapian.

Layout (each module's docstring says what it owns):
- the index: schema.py (prefixes, value slots, documents), writer.py (a build or an update),
  pipeline.py (forked writers), shardwriter.py and shards.py (N shards by a stable hash of the
  record id, written in parallel, switched together), files.py (copying a database);
- the reader: engine.py (XapianReader), records.py (a record, the view, status), local.py and
  remote.py (a local build; shards behind xapian-tcpsrv), view.py (search/view.py over Xapian),
  related.py and relatedreads.py (related items ranked by Xapian);
- a search: query.py, words.py, sources.py, lengths.py, docweights.py and typestats.py (the
  neutral tree as a scored xapian.Query), matching.py and matchsets.py (its match sets),
  tables.py and facets.py (per-document arrays, filters and counts), listing.py (hits,
  snippets);
- on shards: shardsearch.py, shardcounts.py and shardfacets.py (a search counted beside each
  shard), counters.py (the count servers' client), countserver.py, shardcounter.py and
  counting.py (a count server's shard and its counts), localcounters.py (a local build's
  shards counted in process), termstats.py (a search's term statistics in one request).
"""

from search.xapian.remote import reader as Reader  # noqa: N812 - the backend's Reader
from search.xapian.shards import exists_in
from search.xapian.shards import shard_dirs as databases
from search.xapian.shardwriter import create, gather, update

NAME = "xapian"

__all__ = ["NAME", "Reader", "create", "databases", "exists_in", "gather", "update"]
