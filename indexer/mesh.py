"""MeSH descriptors from NLM's XML, ASCII (`*NEWRECORD`) and tree (`Heading;TreeNumber`) files.

The parsers stream their file and yield `MeshDescriptor` / `MeshTreeLine` records; then
`merge_mesh` makes one descriptor per UI and joins the tree lines in by heading:

* ASCII and tree files are read by `indexer.mesh_lines` (re-exported here).
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

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree

from indexer import mesh_supplements as supplements
from indexer.ids import bad_id
from indexer.limits import DEFAULT_LIMITS, Limits, quote
from indexer.mesh_lines import parse_mesh_ascii, parse_mesh_trees, unique
from indexer.records import MeshDescriptor, MeshTreeLine, Skipped
from indexer.xmlstream import Oversized, children
from search.fields import MESH_CATEGORIES

__all__ = [  # the line formats live in indexer.mesh_lines; this module is MeSH's face
    "CATEGORY_NAMES",
    "TREES_SOURCE",
    "MeshJoinStats",
    "merge_mesh",
    "parse_mesh_ascii",
    "parse_mesh_trees",
    "parse_mesh_xml",
    "spelling_key",
    "tree_ancestors",
    "tree_category",
]
CATEGORY_NAMES = MESH_CATEGORIES  # defined with the index schema, which labels topics
TREES_SOURCE = "mesh-trees"  # the `path` of the Skipped that merge_mesh returns
_XML_ROOTS = ("DescriptorRecordSet", supplements.ROOT)
_XML_RECORDS = ("DescriptorRecord", supplements.RECORD)
_XML_ROOT_ERROR = "unknown root element <{tag}> (not MeSH descriptors)"
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


def parse_mesh_xml(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[MeshDescriptor | Skipped]:
    """The descriptors of a MeSH `<DescriptorRecordSet>` XML file (descXXXX.xml), or the
    supplementary concept records of a `<SupplementalRecordSet>` (suppXXXX.xml, see
    `indexer.mesh_supplements`).

    The DOCTYPE's DTD is not loaded. SourceError for another root (qualifier or
    supplementary record sets) and for malformed XML, after the records before the break;
    a record past the record limits, or without a valid UI, is Skipped.
    """
    for elem in children(stream, name, _XML_ROOTS, _XML_RECORDS, limits, _XML_ROOT_ERROR):
        if isinstance(elem, Oversized):
            yield Skipped(name, f"line {elem.line}", elem.reason)
        elif elem.tag == "DescriptorRecord":
            yield _descriptor_record(elem, name)
        elif elem.tag == supplements.RECORD:
            yield _checked_scr(supplements.supplemental_record(elem, name), elem, name)


def _checked_scr(
    record: MeshDescriptor | Skipped, elem: etree._Element, name: str
) -> MeshDescriptor | Skipped:
    """A supplementary record, or Skipped when its UI is not "C" + 6 or 9 digits."""
    if isinstance(record, MeshDescriptor) and (reason := bad_id("MeSH SCR UI", record.ui)):
        return Skipped(name, f"line {elem.sourceline}", reason)
    return record


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _descriptor_record(elem: etree._Element, name: str) -> MeshDescriptor | Skipped:
    ui = _one_line(elem.findtext("DescriptorUI"))
    heading = _one_line(elem.findtext("DescriptorName/String"))
    if not ui:
        return Skipped(name, f"line {elem.sourceline}", "DescriptorRecord has no DescriptorUI")
    if reason := bad_id("MeSH UI", ui):
        return Skipped(name, f"line {elem.sourceline}", reason)
    if not heading:
        return Skipped(name, ui, "DescriptorRecord has no DescriptorName")
    scope_note = ""
    terms = [heading]
    for concept in elem.iterfind("ConceptList/Concept"):
        if concept.get("PreferredConceptYN") == "Y" and not scope_note:
            scope_note = _one_line(concept.findtext("ScopeNote"))
        terms.extend(_one_line(t.text) for t in concept.iterfind("TermList/Term/String"))
    trees = [_one_line(t.text) for t in elem.iterfind("TreeNumberList/TreeNumber")]
    return MeshDescriptor(ui, heading, scope_note, unique(terms), unique(trees), "mesh-xml")


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
    # tree headings of no descriptor in the input (MeSH 2014's "Hope", which the derived
    # descriptor file of data/sample lacks): valid lines whose numbers have nothing to join
    without_descriptor: list[str] = field(default_factory=list)


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
        if not uis:
            stats.without_descriptor.append(quote(heading))
        found = f"{len(uis)} MeSH descriptors ({', '.join(uis)})" if uis else "no MeSH descriptor"
        reason = f"tree heading matches {found}; tree numbers {', '.join(numbers)}"
        skipped.append(Skipped(TREES_SOURCE, quote(heading), reason))
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
        entry_terms=unique([heading, *terms]),
        tree_numbers=unique(t for d in parts for t in d.tree_numbers),
        source="mesh-" + "+".join(unique(d.source.removeprefix("mesh-") for d in parts)),
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
        entry_terms=unique([heading, *d.entry_terms, d.heading]),
        tree_numbers=unique(numbers),
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
