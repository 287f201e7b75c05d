"""Record -> index document: the only module that knows both record attributes and schema fields
(a record's id, type, plain data and content hash: indexer/content.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from indexer.content import record_content, record_id
from indexer.records import Article, MeshDescriptor, MeshTerm, Trial
from search import fields as f
from search.analysis import weighted_text
from search.meshnames import Named, best_ui, names_of, surface

_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)", re.I)
_AGE_UNIT_YEARS = {"year": 1.0, "month": 1 / 12, "week": 1 / 52, "day": 1 / 365, "hour": 1 / 8760}


class MeshLookup:
    """MeSH descriptors by UI and by lower-cased name (heading or entry term)."""

    def __init__(self, descriptors: Iterable[MeshDescriptor] = ()) -> None:
        self.headings: dict[str, str] = {}
        self.trees: dict[str, tuple[str, ...]] = {}
        self.named: dict[tuple[str, ...], list[Named]] = {}  # surface key -> descriptors
        self.by_number: dict[int, str] = {}  # D007172 and the padded D000007172 are one UI
        for d in descriptors:
            self.add(Named(d.ui, d.heading, d.entry_terms), d.tree_numbers)

    def add(self, d: Named, trees: Iterable[str]) -> None:
        self.headings[d.ui] = d.heading
        self.trees[d.ui] = tuple(trees)
        for key in names_of(d):
            self.named.setdefault(key, []).append(d)
        if d.ui[1:].isdigit():
            self.by_number[int(d.ui[1:])] = d.ui

    def ui_named(self, name: str) -> str:
        """The UI of the descriptor `name` names (search/meshnames.py), '' if none."""
        return best_ui(name, self.named.get(surface(name), ()))

    def __len__(self) -> int:
        return len(self.headings)

    def canonical(self, ui: str) -> str:
        """A UI as the MeSH data spells it (CT.gov JSON of 2023-24 pads them: D000007172)."""
        if ui in self.headings or not ui[1:].isdigit():
            return ui
        return self.by_number.get(int(ui[1:]), ui)

    def resolve(self, term: MeshTerm) -> str:
        """The UI of a record's MeSH term ('' if the term is unknown and has no UI)."""
        if term.ui:
            return self.canonical(term.ui)
        return self.ui_named(term.term)


def to_document(
    record: Trial | Article | MeshDescriptor,
    mesh: MeshLookup,
    content: tuple[dict[str, Any], str] | None = None,
) -> dict[str, Any]:
    """The index document for a record, keyed by schema field names (`content`: the record's
    record_content, if made already)."""
    if isinstance(record, Trial):
        doc = _trial(record, mesh)
    elif isinstance(record, Article):
        doc = _article(record, mesh)
    else:
        doc = _descriptor(record)
    data, digest = content if content is not None else record_content(record)
    sections = doc.pop("_sections")
    doc[f.ALL] = weighted_text(
        [(f.SECTION_WEIGHTS[name], text) for name, text in sections if name not in f.ASIDE_SECTIONS]
    )
    doc[f.ASIDE] = weighted_text(
        [(f.SECTION_WEIGHTS[name], text) for name, text in sections if name in f.ASIDE_SECTIONS]
    )
    doc[f.ID] = record_id(record)
    doc[f.TYPE] = data["type"]
    doc[f.RECORD] = f.pack_record(data)
    doc[f.HASH] = digest
    doc[f.DATE_ASC] = doc.get(f.DATE) or f.UNDATED
    return {k: v for k, v in doc.items() if v not in ("", None, ())}


def _join(values: Iterable[str]) -> str:
    return "\n".join(v for v in values if v)


def _commas(values: Iterable[str]) -> str:
    """For the IDENT field (comma-separated identifiers)."""
    return ",".join(dict.fromkeys(v.replace(",", " ") for v in values if v))


_values = f.join_values


def _mesh_fields(uis: Iterable[str], mesh: MeshLookup) -> dict[str, str]:
    uis = [u for u in dict.fromkeys(uis) if u]
    trees = [t for u in uis for t in mesh.trees.get(u, ())]
    return {
        f.MESH_UI: _values(uis),
        f.MESH_TREE: _values(trees),
        f.MESH_CAT: _values(t[:3] for t in trees),
    }


def date_number(iso: str) -> int | None:
    """'2005-09' -> 20050900; '' -> None."""
    parts = (iso or "").split("-")
    if not parts[0].isdigit():
        return None
    y = int(parts[0])
    m = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    d = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    return y * 10000 + m * 100 + d


def age_years(text: str) -> float | None:
    """'18 Years' -> 18.0; '6 Months' -> 0.5; '' or 'N/A' -> None."""
    m = _AGE.search(text or "")
    if not m:
        return None
    return float(m.group(1)) * _AGE_UNIT_YEARS.get(m.group(2).lower(), 0.0)


def age_groups(minimum: str, maximum: str) -> tuple[str, ...]:
    """ClinicalTrials.gov's groups: child (0-17), adult (18-64), older_adult (65+)."""
    low = age_years(minimum) or 0.0
    high = age_years(maximum)
    high = float("inf") if high is None else high
    groups = []
    if low < 18:
        groups.append("child")
    if low < 65 and high >= 18:
        groups.append("adult")
    if high >= 65:
        groups.append("older_adult")
    return tuple(groups)


def _trial(t: Trial, mesh: MeshLookup) -> dict[str, Any]:
    direct = t.condition_mesh + t.intervention_mesh
    names = [m.term for m in direct]
    start = date_number(t.start_date)
    ids = [t.nct_id, t.acronym, *t.secondary_ids]
    title = _join([t.brief_title, t.official_title])
    conditions = _join(t.conditions)
    interventions = _join(i.name for i in t.interventions)
    sponsors = _join([t.lead_sponsor, *t.collaborators])
    locations = _join(f"{x.facility}, {x.city}, {x.country}" for x in t.locations)
    return {
        "_sections": [
            ("ident", _join(ids)),
            ("title", title),
            ("condition", conditions),
            ("intervention", interventions),
            ("mesh", _join(names)),
            ("keyword", _join(t.keywords)),
            ("summary", t.brief_summary),
            ("description", t.detailed_description),
            ("outcome", _join(o.measure for o in t.primary_outcomes)),
            ("sponsor", sponsors),
            ("eligibility", t.eligibility_criteria),
            ("location", locations),
        ],
        f.IDENT: _commas(ids),
        f.TITLE: _join([title, t.acronym]),
        f.DISPLAY_DATE: t.start_date,
        f.CONDITION: conditions,
        f.INTERVENTION: interventions,
        f.KEYWORD: _join(t.keywords),
        f.MESH: _join(names),
        f.SPONSOR: sponsors,
        f.LOCATION: locations,
        f.SPELL: _join([t.brief_title, *t.conditions, *names, *t.keywords]),
        **_mesh_fields((mesh.resolve(m) for m in direct), mesh),
        f.LINKS: _values(r.pmid for r in t.references),
        f.STATUS: t.overall_status,
        f.PHASE: _values(t.phases),
        f.STUDY_TYPE: t.study_type,
        f.SEX: t.sex,
        f.AGE_GROUP: _values(age_groups(t.minimum_age, t.maximum_age)),
        f.SPONSOR_CLASS: t.lead_sponsor_class,
        f.HAS_RESULTS: "yes" if t.has_results else "no",
        f.COUNTRY: _values(x.country for x in t.locations),
        f.START_YEAR: str(start // 10000) if start else "",
        f.YEAR: start // 10000 if start else None,
        f.DATE: start,
        f.UPDATED: date_number(t.last_update_date),
    }


def _author_name(a: Any) -> str:
    return a.collective_name or " ".join(p for p in (a.last_name, a.initials) if p)


def _article(a: Article, mesh: MeshLookup) -> dict[str, Any]:
    names = [h.name for h in a.mesh_headings]
    uis = [mesh.canonical(h.ui) or mesh.ui_named(h.name) for h in a.mesh_headings]
    major = [u for u, h in zip(uis, a.mesh_headings, strict=True) if h.major]
    authors = _join(_author_name(x) for x in a.authors)
    journal = _join([a.journal_title, a.journal_iso])
    return {
        "_sections": [
            ("ident", _join([a.pmid, a.doi])),
            ("title", a.title),
            ("mesh", _join(names)),
            ("keyword", _join(a.keywords)),
            ("summary", _join(s.text for s in a.abstract)),
            ("author", authors),
            ("journal", journal),
        ],
        f.IDENT: _commas([a.pmid, a.doi]),
        f.TITLE: a.title,
        f.DISPLAY_DATE: a.medline_date or a.pub_date,
        f.KEYWORD: _join(a.keywords),
        f.MESH: _join(names),
        f.AUTHOR: authors,
        f.JOURNAL: journal,
        f.SPELL: _join([a.title, *names, *a.keywords]),
        **_mesh_fields(uis, mesh),
        f.MESH_MAJOR: _values(major),
        f.LINKS: _values([*a.nct_ids, *_nct_mentions(a)]),
        f.PUB_YEAR: str(a.pub_year) if a.pub_year else "",
        f.PUB_TYPE: _values(a.publication_types),
        f.JOURNAL_NAME: a.journal_iso or a.journal_title,
        f.LANGUAGE: _values(a.languages),
        f.YEAR: a.pub_year,
        f.DATE: date_number(a.pub_date),
    }


_NCT = re.compile(r"\bNCT\d{8}\b")


def _nct_mentions(a: Article) -> list[str]:
    """NCT ids an article names in its title or abstract (beside its DataBankList)."""
    return _NCT.findall(" ".join([a.title, *(s.text for s in a.abstract)]))


def _descriptor(d: MeshDescriptor) -> dict[str, Any]:
    return {
        "_sections": [
            ("ident", d.ui),
            ("title", d.heading),
            ("entry", _join(d.entry_terms)),
            ("summary", d.scope_note),
        ],
        f.IDENT: d.ui,
        f.TITLE: d.heading,
        f.ENTRY_KEY: _values(f.term_key(t) for t in (d.heading, *d.entry_terms)),
        f.MESH: _join([d.heading, *d.entry_terms]),
        f.SPELL: _join([d.heading, *d.entry_terms]),
        f.MESH_UI: d.ui,
        f.MESH_TREE: _values(d.tree_numbers),
        f.MESH_CAT: _values(t[:3] for t in d.tree_numbers),
    }
