"""ClinicalTrials.gov studies -> `records.Trial`, from the legacy XML or the API v2 JSON.

The two parsers live in `trials_xml` (AllPublicXML `<clinical_study>` documents) and
`trials_json` (API v2 study objects); this module is their public face. What both share, so
that one study gives the same record whichever format it came in, is in `trials_values`
(enumerations, dates, text, the Trial constructor): the parsers import it, not this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from indexer.limits import DEFAULT_LIMITS, Limits
from indexer.records import Skipped, Trial
from indexer.trials_json import parse_studies
from indexer.trials_values import NO_ID
from indexer.trials_xml import parse_clinical_study

__all__ = ["NO_ID", "json_next_page_token", "parse_json", "parse_legacy_xml"]


def parse_legacy_xml(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Trial | Skipped]:
    """The study of one legacy `<clinical_study>` XML document (AllPublicXML layout).

    Raises SourceError if the document is malformed, its root is not `<clinical_study>` or
    an element it keeps is past the record limits; a study without an NCT id gives
    `Skipped(name, "", NO_ID)`, one whose id is not "NCT" + 8 digits a Skipped saying so.
    """
    return parse_clinical_study(stream, name, limits)


def parse_json(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Trial | Skipped]:
    """The studies of one CT.gov API v2 JSON file: a single study object, a bare array of
    study objects (the website download) or an API page `{"studies": [...], ...}`.

    Raises SourceError for malformed JSON (naming the line, after the whole array elements
    read before the break have been yielded), for a study past the record limit or nested
    too deeply, or for an unknown shape; a study without a valid NCT id is yielded as Skipped.
    """
    return parse_studies(stream, name, limits)


def json_next_page_token(obj: object) -> str:
    """The `nextPageToken` of a decoded API page, "" when there is none (the last page)."""
    token = obj.get("nextPageToken") if isinstance(obj, dict) else None
    return token if isinstance(token, str) else ""
