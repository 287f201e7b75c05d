"""The Whoosh backend: the only package (with the indexer's Whoosh writer) that imports whoosh."""

from search.whoosh.engine import WhooshEngine as Reader
from search.whoosh.store import exists_in

NAME = "whoosh"

__all__ = ["NAME", "Reader", "exists_in"]
