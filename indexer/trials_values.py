"""What the two ClinicalTrials.gov parsers (trials_xml, trials_json) share, so that one study
gives the same record whichever format it came in:

* enumerations in the API v2 spelling ("Phase 1/Phase 2" -> ("PHASE1", "PHASE2"));
* dates as ISO strings of the precision the source gives ("January 2005" -> "2005-01");
* text: the legacy XML hard-wraps its text blocks at about 100 columns and indents them,
  the JSON writes Markdown with backslash escapes (`\\<`). Both become plain text: lines
  stripped, runs of blanks made one space, paragraphs separated by one blank line ("\\n\\n").
  The XML's wrapped lines are joined back into their paragraph, and its list items
  ("-  item" or an indented "1. item", one paragraph each) become Markdown items ("* item",
  "1. item", one a line) as the JSON writes them; the JSON keeps its single line breaks
  and loses its backslash escapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from indexer.records import Trial

NO_ID = "record has no NCT id"

_MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november "
        "december".split(),
        start=1,
    )
}
_DATE_TEXT = re.compile(r"([A-Za-z]+)\s+(?:(\d{1,2}),\s*)?(\d{4})")
_ISO_DATE = re.compile(r"\d{4}(-\d\d){0,2}")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")
_XML_BULLET = "-  "  # how the legacy XML starts a list item ("* " in the JSON's Markdown)
_NUMBERED = re.compile(r"\d{1,3}\.\s")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: backslash + ASCII punctuation


def make_trial(values: Mapping[str, Any]) -> Trial:
    """A Trial from the fields a parser found; every other field is empty ("", (), None or
    False by its type). Lists become tuples, so parsers may accumulate into lists."""
    kwargs: dict[str, Any] = {}
    for f in fields(Trial):
        value = values.get(f.name)
        if isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = _EMPTY[str(f.type).split("[")[0]] if value is None else value
    return Trial(**kwargs)


_EMPTY: dict[str, Any] = {
    "str": "",
    "tuple": (),
    "bool": False,
    "int | None": None,
    "bool | None": None,
    "Results | None": None,
}


def one_line(text: str | None) -> str:
    """A single-line value: any run of whitespace becomes one space, ends stripped."""
    return " ".join(text.split()) if text else ""


def upper_snake(text: str) -> str:
    """ "Dietary Supplement" -> "DIETARY_SUPPLEMENT" (for values no table knows)."""
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").upper()


def enum_value(text: str | None, table: Mapping[str, str] | None = None) -> str:
    """An enumeration value in API v2 spelling: looked up (lower-case key) in `table`,
    else upper-snaked; "" for no value."""
    value = one_line(text)
    if not value:
        return ""
    if table is not None and value.lower() in table:
        return table[value.lower()]
    return upper_snake(value)


def iso_date(text: str | None) -> str:
    """ "January 15, 2005" -> "2005-01-15", "January 2005" -> "2005-01", ISO kept as it is.

    A date in no known shape is kept as its (one-line) text rather than lost.
    """
    value = one_line(text)
    if not value or _ISO_DATE.fullmatch(value):
        return value
    match = _DATE_TEXT.fullmatch(value)
    month = _MONTHS.get(match.group(1).lower()) if match else None
    if match is None or month is None:
        return value
    day = f"-{int(match.group(2)):02d}" if match.group(2) else ""
    return f"{match.group(3)}-{month:02d}{day}"


def plain_text(text: str | None, *, reflow: bool) -> str:
    """Text blocks of either format as plain text (see the module docstring).

    `reflow=True` (legacy XML) joins the lines of each paragraph into one line;
    `reflow=False` (JSON) keeps single line breaks and removes Markdown backslash escapes.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not reflow:
        text = _MD_ESCAPE.sub(r"\1", text)
    blocks = [b for b in _BLANK_LINE.split(text) if b.strip()]
    base = min((_indent(b) for b in blocks), default=0)
    paragraphs: list[tuple[str, bool]] = []  # (text, is a list item)
    for block in blocks:
        lines = [" ".join(line.split()) for line in block.split("\n") if line.strip()]
        item = reflow and _is_xml_item(block, base)
        if item and lines[0].startswith("- "):
            lines[0] = "* " + lines[0][2:]
        paragraphs.append(((" " if reflow else "\n").join(lines), item))
    out = []
    for i, (paragraph, item) in enumerate(paragraphs):
        if i:
            out.append("\n" if item and paragraphs[i - 1][1] else "\n\n")
        out.append(paragraph)
    return "".join(out)


def _indent(block: str) -> int:
    first = block.lstrip("\n")
    return len(first) - len(first.lstrip(" "))


def _is_xml_item(block: str, base: int) -> bool:
    """A legacy XML list item: "-  item", or "1. item" indented deeper than the text."""
    first = block.strip()
    return first.startswith(_XML_BULLET) or (
        _indent(block) > base and _NUMBERED.match(first) is not None
    )
