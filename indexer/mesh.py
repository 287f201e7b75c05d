"""MeSH descriptors from NLM's XML, ASCII (`*NEWRECORD`) and tree (`Heading;TreeNumber`) files.

The parsers stream their file and yield `MeshDescriptor` / `MeshTreeLine` records; then
`merge_mesh` makes one descriptor per UI and joins the tree lines in by heading:

* ASCII: only descriptors (RECTYPE = D, or no RECTYPE and a UI "D..."). A file whose FIRST
  record is another kind (qualifiers q20XX.bin: RECTYPE = Q; supplementary concepts: C) is
  the wrong file: SourceError. A stray non-descriptor record later on is Skipped.
* Same UI in several sources: XML wins over ASCII field by field where it has a value;
  entry terms and tree numbers are the union (XML's first); a losing heading (the British
  "Anaemia" of the derived ASCII file) stays an entry term. Entry terms start with the heading.
* Tree join: a tree heading joins the descriptor of the same heading, else the single one of
  the same `spelling_key` (British -> US; the derived ASCII file is British, the tree file
  NLM's US spelling), whose heading then becomes the tree file's. The tree file's numbers
  replace a joined descriptor's own ones (of another MeSH year maybe: one hierarchy). A tree
  heading that joins nothing is Skipped(TREES_SOURCE, heading, reason).
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree

from indexer import mesh_supplements as supplements
from indexer.errors import SourceError
from indexer.records import MeshDescriptor, MeshTreeLine, Skipped
from indexer.xmlstream import iterparse
from search.fields import MESH_CATEGORIES

CATEGORY_NAMES = MESH_CATEGORIES  # defined with the index schema, which labels topics
TREES_SOURCE = "mesh-trees"  # the `path` of the Skipped that merge_mesh returns
_TREE_NUMBER = re.compile(r"[A-Z]\d\d(?:\.\d{3})*")
_ASCII_FIELD = re.compile(r"([A-Z][A-Z0-9_ ]*?) =(?: (.*))?")
_KINDS = {"Q": "qualifier", "C": "supplementary concept"}
_COMPRESSION_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)
# British -> US spelling: (regex, replacement) pairs applied in order to lower-cased text.
# Measured on the derived d2014.en_gb file against mtrees2014 (see spelling_key).
_SPELLING_TABLE = r"""
aem em  anaes anes  aesthe esthe  aetiol etiol  paed ped  gynaec gynec  caesar cesar  faec fec
palaeo paleo  oedem edem  oesoph esoph  oestr estr  coeliac celiac  foet fet  homoeo homeo
oecolog ecolog  rrhoea rrhea  manoeuvre maneuver  sulph sulf  alumini alumin  jewellery jewelry
judgement judgment  ageing aging  enrolment enrollment  programme program  catalogue catalog
\bgrey gray  \bmould mold  tranquill tranquil  is(ation|ations|ing|ed|er|ers)\b iz\1
(tum|col|behavi|hum|lab|rig|vap|od|flav|fav|hon|harb|neighb|sav|vig|ferv)our \1or
(fib|cent|lit|met|theat|calib|spect|sab|lust)re(s?)\b \1er\2  \b(defen|offen|licen)ce \1se
(counse|labe|mode|signa|trave|cance|fue|tunne|channe|leve)ll(ing|ed|er) \1l\2
"""
_WORDS = _SPELLING_TABLE.split()
_SPELLING = [(re.compile(p), r) for p, r in zip(_WORDS[::2], _WORDS[1::2], strict=True)]


def parse_mesh_xml(stream: BinaryIO, name: str) -> Iterator[MeshDescriptor | Skipped]:
    """The descriptors of a MeSH `<DescriptorRecordSet>` XML file (descXXXX.xml), or the
    supplementary concept records of a `<SupplementalRecordSet>` (suppXXXX.xml, see
    `indexer.mesh_supplements`).

    The DOCTYPE's DTD is not loaded. SourceError for another root (qualifier or
    supplementary record sets) and for malformed XML, after the records before the break.
    """
    depth = 0
    try:
        events = iterparse(stream, events=("start", "end"))
        for event, elem in events:
            if event == "start":
                if depth == 0 and elem.tag not in ("DescriptorRecordSet", supplements.ROOT):
                    raise SourceError(
                        name, f"unknown root element <{elem.tag}> (not MeSH descriptors)"
                    )
                depth += 1
                continue
            depth -= 1
            if depth == 1:
                if elem.tag == "DescriptorRecord":
                    yield _descriptor_record(elem, name)
                elif elem.tag == supplements.RECORD:
                    yield supplements.supplemental_record(elem, name)
                _forget(elem)
    except etree.XMLSyntaxError as e:
        raise SourceError(name, f"malformed XML: {e.msg}", f"line {e.lineno}") from e
    except _COMPRESSION_ERRORS as e:
        raise SourceError(name, f"truncated or corrupt compressed data ({e})") from e


def _forget(elem: etree._Element) -> None:
    elem.clear(keep_tail=True)
    parent = elem.getparent()
    while parent is not None and elem.getprevious() is not None:
        del parent[0]


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _descriptor_record(elem: etree._Element, name: str) -> MeshDescriptor | Skipped:
    ui = _one_line(elem.findtext("DescriptorUI"))
    heading = _one_line(elem.findtext("DescriptorName/String"))
    if not ui:
        return Skipped(name, f"line {elem.sourceline}", "DescriptorRecord has no DescriptorUI")
    if not heading:
        return Skipped(name, ui, "DescriptorRecord has no DescriptorName")
    scope_note = ""
    terms = [heading]
    for concept in elem.iterfind("ConceptList/Concept"):
        if concept.get("PreferredConceptYN") == "Y" and not scope_note:
            scope_note = _one_line(concept.findtext("ScopeNote"))
        terms.extend(_one_line(t.text) for t in concept.iterfind("TermList/Term/String"))
    trees = [_one_line(t.text) for t in elem.iterfind("TreeNumberList/TreeNumber")]
    return MeshDescriptor(ui, heading, scope_note, _unique(terms), _unique(trees), "mesh-xml")


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _lines(stream: BinaryIO, name: str) -> Iterator[tuple[int, str]]:
    """(line number, text without its line end) of a UTF-8 stream, read line by line."""
    n = 0
    try:
        for n, raw in enumerate(stream, start=1):
            line = raw.decode("utf-8").rstrip("\r\n")
            yield n, line.lstrip("\ufeff") if n == 1 else line
    except UnicodeDecodeError as e:
        raise SourceError(name, f"not UTF-8 text ({e.reason})", f"line {n}") from e
    except _COMPRESSION_ERRORS as e:
        raise SourceError(name, f"truncated or corrupt compressed data ({e})", f"line {n}") from e


def parse_mesh_ascii(stream: BinaryIO, name: str) -> Iterator[MeshDescriptor | Skipped]:
    """The descriptors of a MeSH ASCII file (dXXXX.bin: `*NEWRECORD` blocks of `KEY = value`).

    Fields read: MH, MS, ENTRY / PRINT ENTRY (the term before the first `|`), MN, UI,
    RECTYPE. SourceError when the first record is not a descriptor (see the module doc).
    """
    fields: list[tuple[str, str]] | None = None
    start = 0
    first = True
    for n, line in _lines(stream, name):
        if line.rstrip() == "*NEWRECORD":
            if fields is not None:
                yield from _ascii_record(fields, name, start, first)
                first = False
            fields, start = [], n
            continue
        match = _ASCII_FIELD.fullmatch(line.rstrip())
        if fields is None:
            if line.strip():
                raise SourceError(name, "not a MeSH ASCII file (no *NEWRECORD first)", f"line {n}")
        elif match:
            fields.append((match.group(1), (match.group(2) or "").strip()))
    if fields is not None:
        yield from _ascii_record(fields, name, start, first)


def _ascii_record(
    fields: list[tuple[str, str]], name: str, start: int, first: bool
) -> Iterator[MeshDescriptor | Skipped]:
    values: dict[str, list[str]] = {}
    for key, value in fields:
        values.setdefault(key, []).append(value)
    ui, heading = values.get("UI", [""])[0], values.get("MH", [""])[0]
    kind = values.get("RECTYPE", [""])[0] or ui[:1]
    where = f"line {start}"
    if kind and kind != "D":
        label = f"RECTYPE = {kind}" + (f" ({_KINDS[kind]})" if kind in _KINDS else "")
        if first:
            raise SourceError(name, f"{label} records, not MeSH descriptors", where)
        yield Skipped(name, where, f"{label} record is not a descriptor")
    elif not ui:
        yield Skipped(name, where, "record has no UI")
    elif not heading:
        yield Skipped(name, ui, "record has no MH")
    else:
        terms = [v.split("|", 1)[0].strip() for k, v in fields if k in ("ENTRY", "PRINT ENTRY")]
        trees = values.get("MN", [])
        scope_note = _one_line(values.get("MS", [""])[0])
        yield MeshDescriptor(
            ui, heading, scope_note, _unique([heading, *terms]), _unique(trees), "mesh-ascii"
        )


def parse_mesh_trees(stream: BinaryIO, name: str) -> Iterator[MeshTreeLine | Skipped]:
    """The lines of a MeSH tree file (mtreesXXXX.bin: `Heading;TreeNumber`).

    A bad line is Skipped ("line N"); SourceError if the first line is already not one.
    """
    seen_good = False
    for n, line in _lines(stream, name):
        if not line.strip():
            continue
        heading, sep, number = line.rpartition(";")
        heading, number = heading.strip(), number.strip()
        if sep and heading and _TREE_NUMBER.fullmatch(number):
            seen_good = True
            yield MeshTreeLine(heading, number)
        elif not seen_good:
            raise SourceError(name, "not a MeSH tree file (no 'Heading;TreeNumber')", f"line {n}")
        else:
            yield Skipped(name, f"line {n}", "not a 'Heading;TreeNumber' line")


# ------------------------------------------------------------------------------ merge


@dataclass
class MeshJoinStats:
    """What `merge_mesh` did, for reports (filled in when passed to it)."""

    descriptors: int = 0
    tree_headings: int = 0
    exact: int = 0  # tree headings joined to a descriptor of the very same heading
    spelling: int = 0  # ... joined through spelling_key (British -> US)
    unjoined: int = 0
    without_trees: int = 0  # merged descriptors left with no tree number
    replaced_trees: int = 0  # descriptors whose own tree numbers the tree file changed
    spelling_pairs: list[tuple[str, str]] = field(default_factory=list)  # (tree, descriptor)


def spelling_key(text: str) -> str:
    """A key that British and US spellings of one heading share: "Anaemia, Haemolytic" and
    "Anemia, Hemolytic" -> "anemia, hemolytic"; "Tumour Burden" -> "tumor burden"."""
    key = " ".join(text.lower().split())
    for pattern, replacement in _SPELLING:
        key = pattern.sub(replacement, key)
    return key


def merge_mesh(
    records: Iterable[MeshDescriptor | MeshTreeLine], stats: MeshJoinStats | None = None
) -> tuple[list[MeshDescriptor], list[Skipped]]:
    """One descriptor per UI (first-seen order), tree lines joined in by heading.

    Returns the descriptors and one Skipped per tree heading that joins no descriptor
    (path `TREES_SOURCE`, where = the heading). `stats`, when given, is filled in.
    """
    stats = stats if stats is not None else MeshJoinStats()
    parts: dict[str, list[MeshDescriptor]] = {}
    trees: dict[str, list[str]] = {}
    for rec in records:
        if isinstance(rec, MeshDescriptor):
            parts.setdefault(rec.ui, []).append(rec)
        elif isinstance(rec, MeshTreeLine):
            trees.setdefault(rec.heading, []).append(rec.tree_number)
    merged = {ui: _merge_parts(p) for ui, p in parts.items()}
    by_heading: dict[str, str] = {}
    for ui, d in merged.items():
        if not ui.startswith("C"):  # supplementary concepts have no place in the tree
            by_heading.setdefault(d.heading, ui)
    joined: set[str] = set()
    rest: list[str] = []
    for heading, numbers in trees.items():
        ui = by_heading.get(heading)
        if ui is None:
            rest.append(heading)
            continue
        stats.replaced_trees += _differs(merged[ui], numbers)
        merged[ui] = _with_trees(merged[ui], heading, numbers)
        joined.add(ui)
        stats.exact += 1
    by_key: dict[str, list[str]] = {}
    for ui, d in merged.items():
        if ui not in joined:
            by_key.setdefault(spelling_key(d.heading), []).append(ui)
    skipped = []
    for heading in rest:
        numbers = trees[heading]
        uis = by_key.get(spelling_key(heading), [])
        if len(uis) == 1:
            stats.spelling_pairs.append((heading, merged[uis[0]].heading))
            stats.replaced_trees += _differs(merged[uis[0]], numbers)
            merged[uis[0]] = _with_trees(merged[uis[0]], heading, numbers)
            stats.spelling += 1
            continue
        found = f"{len(uis)} MeSH descriptors ({', '.join(uis)})" if uis else "no MeSH descriptor"
        reason = f"tree heading matches {found}; tree numbers {', '.join(numbers)}"
        skipped.append(Skipped(TREES_SOURCE, heading, reason))
    stats.tree_headings = len(trees)
    stats.unjoined = len(skipped)
    stats.descriptors = len(merged)
    stats.without_trees = sum(1 for d in merged.values() if not d.tree_numbers)
    return list(merged.values()), skipped


def _merge_parts(parts: list[MeshDescriptor]) -> MeshDescriptor:
    """XML first, then ASCII (stable): the first value of a field that has one wins."""
    if len(parts) == 1:
        return parts[0]
    parts = sorted(parts, key=lambda d: 0 if d.source == "mesh-xml" else 1)
    heading = parts[0].heading
    terms = [t for d in parts for t in (*d.entry_terms, d.heading)]
    return MeshDescriptor(
        ui=parts[0].ui,
        heading=heading,
        scope_note=next((d.scope_note for d in parts if d.scope_note), ""),
        entry_terms=_unique([heading, *terms]),
        tree_numbers=_unique(t for d in parts for t in d.tree_numbers),
        source="mesh-" + "+".join(_unique(d.source.removeprefix("mesh-") for d in parts)),
        mapped_to=parts[0].mapped_to,
    )


def _differs(d: MeshDescriptor, numbers: list[str]) -> bool:
    return bool(d.tree_numbers) and set(d.tree_numbers) != set(numbers)


def _with_trees(d: MeshDescriptor, heading: str, numbers: list[str]) -> MeshDescriptor:
    """`d` with the tree numbers of a tree heading (which becomes its heading). The tree
    file's numbers replace the descriptor's own (MN / TreeNumber), which may be of another
    MeSH year: so every tree number comes from one hierarchy and its ancestors resolve."""
    return MeshDescriptor(
        ui=d.ui,
        heading=heading,
        scope_note=d.scope_note,
        entry_terms=_unique([heading, *d.entry_terms, d.heading]),
        tree_numbers=_unique(numbers),
        source=d.source if d.source.endswith("+trees") else d.source + "+trees",
    )


# ---------------------------------------------------------------------------- helpers


def tree_ancestors(tree_number: str) -> tuple[str, ...]:
    """The tree numbers above one: "C04.557.465" -> ("C04", "C04.557")."""
    parts = tree_number.split(".")
    return tuple(".".join(parts[:i]) for i in range(1, len(parts)))


def tree_category(tree_number: str) -> str:
    """The top-level category letter of a tree number ("C04.557" -> "C"), "" if unknown."""
    letter = tree_number[:1].upper()
    return letter if letter in CATEGORY_NAMES else ""
