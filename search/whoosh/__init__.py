"""The Whoosh backend: the only package that imports whoosh (tests/test_architecture.py)."""

from search.whoosh.engine import WhooshEngine as Reader
from search.whoosh.store import exists_in
from search.whoosh.writer import create, update

NAME = "whoosh"

__all__ = ["NAME", "Reader", "create", "exists_in", "update"]
