"""One frozen dataclass per source record, as the parsers yield them.

Multi-valued fields are tuples. Dates are ISO strings that keep the precision the source
gives ("2005", "2005-09", "2005-09-14"), because upstream dates are often partial.
Enumerations (status, phase, study type...) use the ClinicalTrials.gov API v2 spelling
("RECRUITING", "PHASE2", "INTERVENTIONAL"), whichever format the record came from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Intervention:
    type: str  # DRUG, BIOLOGICAL, PROCEDURE, ... (API v2 enum)
    name: str


@dataclass(frozen=True, slots=True)
class MeshTerm:
    """A MeSH descriptor attached to a record by the source (UI may be empty in legacy XML)."""

    ui: str
    term: str


@dataclass(frozen=True, slots=True)
class Location:
    facility: str
    city: str
    state: str
    country: str
    status: str = ""  # the site's recruitment status (API v2 spelling), "" when not published


@dataclass(frozen=True, slots=True)
class Outcome:
    measure: str
    time_frame: str
    description: str


@dataclass(frozen=True, slots=True)
class ResultRow:
    label: str  # a milestone, a category ("Female"), a class ("Complete Response"), an event
    values: tuple[str, ...]  # one cell per group of its table, as published ("" when none)


@dataclass(frozen=True, slots=True)
class ResultTable:
    """One table of posted results (indexer/results.py): a participant-flow period, a
    baseline measure, an outcome measure, or adverse events. Columns are the groups."""

    title: str
    type: str  # outcome measures: PRIMARY | SECONDARY | OTHER_PRE_SPECIFIED | POST_HOC
    description: str
    time_frame: str
    units: str  # unit of measure: "Participants", "cm"
    param: str  # "Mean (Standard Deviation)", "Count of Participants"
    groups: tuple[str, ...]  # group titles (at most results.MAX_GROUPS)
    groups_total: int  # groups published
    rows: tuple[ResultRow, ...]  # at most results.MAX_ROWS
    rows_total: int  # rows published
    analyses: tuple[str, ...] = ()  # statistical analyses in words: "p = 0.13 (Chi-squared)"


@dataclass(frozen=True, slots=True)
class Results:
    """What ClinicalTrials.gov publishes of a trial's results, capped (indexer/results.py)."""

    flow: tuple[ResultTable, ...]  # one per period: milestones, then reasons for leaving
    baseline: tuple[ResultTable, ...]
    baseline_total: int
    outcomes: tuple[ResultTable, ...]
    outcomes_total: int
    events: tuple[ResultTable, ...]  # totals per group, serious events, other events


@dataclass(frozen=True, slots=True)
class Reference:
    pmid: str  # may be empty when the reference has no PMID
    type: str  # RESULT | BACKGROUND | DERIVED
    citation: str


@dataclass(frozen=True, slots=True)
class Trial:
    nct_id: str
    brief_title: str
    official_title: str
    acronym: str
    secondary_ids: tuple[str, ...]
    brief_summary: str
    detailed_description: str
    conditions: tuple[str, ...]
    keywords: tuple[str, ...]
    interventions: tuple[Intervention, ...]
    condition_mesh: tuple[MeshTerm, ...]
    condition_mesh_ancestors: tuple[MeshTerm, ...]
    intervention_mesh: tuple[MeshTerm, ...]
    intervention_mesh_ancestors: tuple[MeshTerm, ...]
    phases: tuple[str, ...]  # ("PHASE1", "PHASE2"), ("NA",) or ()
    study_type: str  # INTERVENTIONAL | OBSERVATIONAL | EXPANDED_ACCESS | ""
    overall_status: str  # RECRUITING, COMPLETED, ...
    start_date: str
    primary_completion_date: str
    completion_date: str
    first_posted_date: str
    last_update_date: str
    enrollment: int | None
    enrollment_type: str  # ACTUAL | ESTIMATED | ""
    lead_sponsor: str
    lead_sponsor_class: str  # NIH, INDUSTRY, OTHER, FED, ...
    collaborators: tuple[str, ...]
    locations: tuple[Location, ...]
    eligibility_criteria: str
    sex: str  # ALL | FEMALE | MALE | ""
    minimum_age: str  # as the source says it: "18 Years", "6 Months", ""
    maximum_age: str
    healthy_volunteers: bool | None
    allocation: str  # RANDOMIZED | NON_RANDOMIZED | NA | ""
    intervention_model: str  # PARALLEL | SINGLE_GROUP | CROSSOVER | FACTORIAL | SEQUENTIAL | ""
    masking: str  # NONE | SINGLE | DOUBLE | TRIPLE | QUADRUPLE | ""
    primary_purpose: str  # TREATMENT | PREVENTION | SUPPORTIVE_CARE | ...
    primary_outcomes: tuple[Outcome, ...]
    references: tuple[Reference, ...]
    has_results: bool
    snapshot_date: str  # when the upstream service produced this copy of the record
    source: str  # "ctgov-xml" | "ctgov-json"
    secondary_outcomes: tuple[Outcome, ...] = ()
    other_outcomes: tuple[Outcome, ...] = ()
    results: Results | None = None  # posted results (has_results), None when there are none


@dataclass(frozen=True, slots=True)
class AbstractSection:
    label: str  # "BACKGROUND", "METHODS", ... or "" for an unstructured abstract
    category: str  # NlmCategory attribute, "" when absent
    text: str


@dataclass(frozen=True, slots=True)
class Author:
    last_name: str
    fore_name: str
    initials: str
    collective_name: str  # set for group authors, then the name parts are empty


@dataclass(frozen=True, slots=True)
class Qualifier:
    ui: str
    name: str
    major: bool


@dataclass(frozen=True, slots=True)
class MeshHeading:
    ui: str
    name: str
    major: bool  # the descriptor or any of its qualifiers is a major topic
    qualifiers: tuple[Qualifier, ...]


@dataclass(frozen=True, slots=True)
class Article:
    pmid: str
    title: str
    abstract: tuple[AbstractSection, ...]
    journal_title: str  # for a book record: the book title
    journal_iso: str
    pub_date: str  # ISO, partial allowed; from MedlineDate the first year (and month)
    pub_year: int | None
    medline_date: str  # the raw MedlineDate text ("1977 Jan-Feb") when the source used one
    authors: tuple[Author, ...]
    mesh_headings: tuple[MeshHeading, ...]
    keywords: tuple[str, ...]
    publication_types: tuple[str, ...]
    languages: tuple[str, ...]
    doi: str
    nct_ids: tuple[str, ...]  # DataBankList entries for ClinicalTrials.gov
    status: str  # MedlineCitation/@Status: MEDLINE, PubMed-not-MEDLINE, ...
    is_book: bool
    source: str  # "pubmed-xml"
    revised_date: str  # DateRevised: when NLM last changed the citation (the data's date)
    volume: str = ""  # JournalIssue/Volume
    issue: str = ""  # JournalIssue/Issue
    pages: str = ""  # Pagination/MedlinePgn as NLM writes it ("5305-5315", "123-9", "e1234")


@dataclass(frozen=True, slots=True)
class Deleted:
    """A deletion notice (PubMed DeleteCitation): remove this id from the index."""

    id: str


@dataclass(frozen=True, slots=True)
class MeshDescriptor:
    ui: str
    heading: str
    scope_note: str
    entry_terms: tuple[str, ...]
    tree_numbers: tuple[str, ...]
    source: str  # "mesh-xml" | "mesh-ascii" | merged: "mesh-ascii+trees"
    # A supplementary concept record (UI "C..."): the descriptors NLM maps it to.
    mapped_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MeshTreeLine:
    """One `Heading;TreeNumber` line of a MeSH tree file (no UI: joined by heading)."""

    heading: str
    tree_number: str


Record = Trial | Article | MeshDescriptor | MeshTreeLine | Deleted


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record the parser could not turn into a record; the rest of the file goes on."""

    path: str  # the file (for a zip member: "archive.zip!member.xml")
    where: str  # the record id or "line N" when known, else ""
    reason: str  # one human sentence
