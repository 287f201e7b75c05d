"""Source -> records: dispatch each detected format to its parser, errors made one-line.

Whatever a file holds, reading it ends in records and at most one SourceError naming it:
never a traceback that would stop the run (and the good files after it).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator

from lxml import etree

from indexer import mesh, pubmed, trials
from indexer.errors import SourceError
from indexer.records import Record, Skipped
from indexer.sources import (
    CTGOV_JSON,
    CTGOV_XML,
    MESH_ASCII,
    MESH_TREES,
    MESH_XML,
    PUBMED_XML,
    Source,
)
from indexer.xmlstream import OUT_OF_MEMORY, syntax_error

PARSERS = {
    CTGOV_XML: trials.parse_legacy_xml,
    CTGOV_JSON: trials.parse_json,
    PUBMED_XML: pubmed.parse_pubmed,
    MESH_XML: mesh.parse_mesh_xml,
    MESH_ASCII: mesh.parse_mesh_ascii,
    MESH_TREES: mesh.parse_mesh_trees,
}


def parse_source(source: Source) -> Iterator[Record | Skipped]:
    """The records of one source. A file that breaks midway raises SourceError after the
    records read before the break have been yielded."""
    parser = PARSERS[source.format]
    try:
        with source.open() as stream:
            yield from parser(stream, source.name, source.limits)
    except SourceError:
        raise
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise SourceError(source.name, f"truncated or corrupt compressed data ({e})") from e
    except etree.XMLSyntaxError as e:
        raise syntax_error(source.name, e) from e
    except json.JSONDecodeError as e:
        raise SourceError(source.name, f"malformed JSON: {e.msg}", f"line {e.lineno}") from e
    except UnicodeDecodeError as e:
        raise SourceError(source.name, f"not UTF-8 text ({e.reason})") from e
    except RecursionError as e:
        raise SourceError(source.name, "nested too deeply to read") from e
    except MemoryError as e:
        raise SourceError(source.name, OUT_OF_MEMORY) from e
    except OSError as e:
        raise SourceError(source.name, f"cannot read: {e.strerror or e}") from e
