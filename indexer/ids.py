"""The shape of each record id (DESIGN.md, "Record ids"), checked when a record is parsed.

An id becomes a URL path, a file name in an export and an index key: one that is not of
its type's shape is refused where it is read (the record is skipped with a line), so that
`../../etc/passwd` or a `"` never travels further.

Shapes, as the real files write them: an NCT number is "NCT" + 8 digits (NCT00000102); a
PMID is 1 to 9 digits without a leading zero (PMIDs are below 40 million today); a MeSH
descriptor UI is "D" + 6 digits (D008545, the older ones) or "D" + 9 digits (D000068877), a
supplementary concept record's "C" + 6 or 9 digits (C535306, C000596361).
"""

from __future__ import annotations

import re

from indexer.limits import quote

NCT_ID = re.compile(r"NCT\d{8}")
PMID = re.compile(r"[1-9]\d{0,8}")
MESH_UI = re.compile(r"D\d{6}(?:\d{3})?")
SCR_UI = re.compile(r"C\d{6}(?:\d{3})?")

_SHAPES = {
    "NCT id": (NCT_ID, "'NCT' and 8 digits"),
    "PMID": (PMID, "1 to 9 digits"),
    "MeSH UI": (MESH_UI, "'D' and 6 or 9 digits"),
    "MeSH SCR UI": (SCR_UI, "'C' and 6 or 9 digits"),
}


def bad_id(kind: str, value: str) -> str:
    """Why `value` is not a valid id of `kind` ("NCT id", "PMID", "MeSH UI"); "" if it is."""
    pattern, shape = _SHAPES[kind]
    if pattern.fullmatch(value):
        return ""
    return f"{kind} {quote(value)!r} is not {shape}"
