"""Typed errors of the write side, each carrying one human sentence."""

from __future__ import annotations


class IndexerError(Exception):
    """Something the operator has to fix; the message is one line."""


class SourceError(IndexerError):
    """A whole input file could not be read (malformed, truncated, unknown format)."""

    def __init__(self, path: str, reason: str, where: str = "") -> None:
        self.path = path
        self.where = where
        self.reason = reason
        super().__init__(f"{path}: {where + ': ' if where else ''}{reason}")


class IndexLocked(IndexerError):
    """Another indexer process holds the index lock."""


class BuildFailed(IndexerError):
    """A build produced no records; the live index was left as it was."""

    def __init__(self, message: str, report: object = None) -> None:
        super().__init__(message)
        self.report = report
