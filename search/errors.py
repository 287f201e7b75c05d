"""Typed errors of the read side, each with one human sentence (mapped to HTTP in web/errors.py)."""

from __future__ import annotations


class SearchError(Exception):
    """Base class: the message is a sentence a user can read."""

    status = 500


class InvalidRequest(SearchError):
    """The request cannot be answered as asked (bad query, bad parameter)."""

    status = 400


class DocumentNotFound(SearchError):
    """No record has this id."""

    status = 404


class IndexNotBuilt(SearchError):
    """There is no index to search yet."""

    status = 503


class SearchTimeout(SearchError):
    """The request ran past its deadline (search/deadline.py), or could not start before it."""

    status = 503


class ShardUnavailable(SearchError):
    """A shard of the index (or its count server) did not answer in time (down, unreachable or
    too slow), or the shards hold different builds; `shards` says how each one answered, and
    `counters` how each count server did when one failed."""

    status = 503

    def __init__(
        self, message: str, shards: tuple[dict, ...] = (), counters: tuple[dict, ...] = ()
    ) -> None:
        super().__init__(message)
        self.shards = shards
        self.counters = counters
