"""The Xapian backend: the only package (with nothing else) that imports xapian.

Layout: schema.py (prefixes, value slots, documents), writer.py (Writer: create, update),
query.py (the neutral tree as xapian.Query), engine.py (Reader), tables.py and facets.py
(match-set arrays, filters and counts), hits.py, view.py (the index view of related items,
MeSH pages and did-you-mean: search/view.py).
"""

from search.xapian.engine import XapianReader as Reader
from search.xapian.writer import create, exists_in, update

NAME = "xapian"

__all__ = ["NAME", "Reader", "create", "exists_in", "update"]
