"""Related items of one record, each with the reason it is listed (DESIGN.md:
`GET /api/records/<id>/related` -> {"trials", "articles", "mesh"}).

- A trial: associated trials (shared MeSH + text, search/related_similar.py); PubMed articles:
  explicit links first (its references, RESULT then BACKGROUND then DERIVED; then articles whose
  DataBankList, title or abstract names its NCT id), then similar ones; the MeSH definitions of
  its condition and intervention descriptors; the MeSH topics (tree branches) it falls under.
- An article: similar articles (PubMed-pmra style: title words, MeSH headings; no authors or
  journals); related trials (those it names and those citing it first); its headings' MeSH
  definitions (major topics first).
- A MeSH descriptor: broader and narrower descriptors; the trials and articles indexed with it,
  then with a narrower one, newest first.
"""

from __future__ import annotations

import re
from typing import Any

from search import fields as f
from search.errors import DocumentNotFound
from search.models import Descriptor, Item, Related, Section, Topic
from search.related_mesh import MeshBook
from search.related_rank import Similar, ViewSimilar
from search.related_similar import (
    DEFAULT,
    Profile,
    Ranking,
    Tuning,
    concepts,
    key_terms,
)
from search.view import Head, IndexView

REFERENCE_ORDER = ("RESULT", "BACKGROUND", "DERIVED")
EXPLICIT_LIMIT = 200  # explicit links listed at most (before the similar items)
_NCT = re.compile(r"\bNCT\d{8}\b")


class _Lookup:
    """One lookup: the index view, its MeSH book, the tuning and the ranking of similar
    records."""

    def __init__(self, view: IndexView, tuning: Tuning, similar: Similar | None = None) -> None:
        self.view = view
        self.book = MeshBook(view)
        self.tuning = tuning
        self.ranker = similar if similar is not None else ViewSimilar(view)

    def docnum(self, record_id: str, kind: str | None = None) -> int | None:
        d = self.view.docnum(record_id)
        if d is None or (kind and self.view.head(d).type != kind):
            return None
        return d

    def record(self, docnum: int) -> dict[str, Any]:
        return self.view.record(docnum)

    def item(
        self, docnum: int, reason: str, score: float | None = None, head: Head | None = None
    ) -> Item:
        rid, kind, title = head if head is not None else self.view.head(docnum)
        return Item(rid, kind, title or rid, reason, score)

    def similar(self, profile: Profile, target: str, limit: int, exclude: int = 0) -> Ranking:
        return self.ranker.rank(self.view, profile, target, limit, exclude, self.tuning)

    def newest(self, bits: int, n: int) -> list[int]:
        """The `n` newest records of a bitset (by their date)."""
        return self.ranker.newest(bits, n) if n > 0 else []


def find_related(
    view: IndexView,
    record_id: str,
    limit: int = 10,
    explicit: bool = True,
    tuning: Tuning = DEFAULT,
    similar: Similar | None = None,
) -> Related:
    """The related items of a record. `explicit=False` leaves the explicit links (references,
    NCT ids) out, so that similarity alone can be measured (bench/related.py). `similar`: the
    ranking of similar records (default: over the view's bitsets, ViewSimilar)."""
    look = _Lookup(view, tuning, similar)
    docnum = look.docnum(record_id)
    if docnum is None:
        raise DocumentNotFound(f"No record has the id {record_id!r}.")
    record = look.record(docnum)
    if record["type"] == f.MESH_TYPE:
        return _descriptor_related(look, docnum, record, limit)
    look.ranker.read_ahead(view, _looked_up(look, record, explicit))
    terms = key_terms(view, record, tuning, look.ranker.doc_frequencies)
    profile = Profile(docnum, concepts(look.book, record, tuning), terms)
    if record["type"] == f.TRIAL:
        trials = _similar_section(look, profile, f.TRIAL, limit, [], record)
        links = _trial_articles(look, record) if explicit else []
        articles = _similar_section(look, profile, f.ARTICLE, limit, links)
    else:
        links = _article_trials(look, record) if explicit else []
        trials = _similar_section(look, profile, f.TRIAL, limit, links)
        articles = _similar_section(look, profile, f.ARTICLE, limit, [])
    mesh = Section(
        tuple(_definition(c.descriptor, _role_reason(c.role)) for c in profile.concepts),
        len(profile.concepts),
    )
    topics = _topics(look, [c.descriptor for c in profile.concepts])
    undefined = _undefined(look, record) if record["type"] == f.TRIAL else ()
    return Related(record_id, record["type"], trials, articles, mesh, topics, undefined)


def _looked_up(look: _Lookup, record: dict[str, Any], explicit: bool) -> list[str]:
    """The ids a record's related items look up by id: its MeSH descriptors not known yet,
    and with `explicit` the articles it cites (a trial) or the trials it names (an article)."""
    if record["type"] == f.TRIAL:
        headings = record["condition_mesh"] + record["intervention_mesh"]
        cited = [r["pmid"] for r in record["references"] if r["pmid"]]
    else:
        headings = record["mesh_headings"]
        cited = [nct for nct, _ in _named_trials(record)]
    known = look.book.cache.by_ui
    ids = [h["ui"] for h in headings if h["ui"] and h["ui"] not in known]
    return ids + cited if explicit else ids


# -- similar records ---------------------------------------------------------------------------
def _similar_section(
    look: _Lookup,
    profile: Profile,
    target: str,
    limit: int,
    links: list[Item],
    record: dict[str, Any] | None = None,
) -> Section:
    exclude = 0
    for item in links:
        exclude |= 1 << look.docnum(item.id)
    ranking = look.similar(profile, target, limit, exclude)
    if record:  # (their records are read: the trials' conditions and interventions compared)
        look.ranker.read_ahead(look.view, [s.head.id for s in ranking.hits if s.head])
    items = []
    for s in ranking.hits:
        same = _same_entries(record, look.record(s.docnum)) if record else []
        items.append(look.item(s.docnum, _why(s.shared, s.words, same), round(s.score, 4), s.head))
    query, about = more_search(look.view.head(profile.docnum).id, profile)
    return Section(
        tuple(links) + tuple(items),
        len(links) + ranking.total,
        len(links),
        strong=len(links) + ranking.strong,
        close_items=len(links) + sum(1 for s in ranking.hits if s.score >= ranking.floor),
        more_query=query,
        more_about=about,
    )


def more_search(
    record_id: str, profile: Profile, words: int = DEFAULT.pool_terms
) -> tuple[str, str]:
    """(query syntax, what it looks for in words) of the search that lists the weaker related
    records too: those indexed with one of the record's MeSH descriptors (an article's major
    topics when it has some) or naming one of its `words` leading key terms, best first (BM25F:
    the more of them, the higher), the record itself left out. Its matches include every
    related candidate (which shares a descriptor or two of the leading terms)."""
    chosen = [c.descriptor for c in profile.concepts if c.role != "topic"]
    chosen = chosen or [c.descriptor for c in profile.concepts]
    terms = [k.word for k in profile.terms[:words] if '"' not in k.word]
    parts = [f"mesh:{d.ui}" if d.ui.startswith("D") else f"mesh_ui:{d.ui}" for d in chosen]
    parts += [f'"{w}"' for w in terms]
    if not parts:
        return "", ""
    about = []
    if chosen:
        about.append("indexed with " + _either([d.heading for d in chosen]))
    if terms:
        about.append("naming " + _either(terms))
    return f"({' OR '.join(parts)}) NOT id:{record_id}", ", or ".join(about)


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _why(shared: tuple[Descriptor, ...], words: tuple[str, ...], same: list[str]) -> str:
    parts = list(same)
    if shared:
        more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
        parts.append("shares MeSH: " + "; ".join(d.heading for d in shared[:3]) + more)
    if words:
        parts.append("similar text: " + ", ".join(words[:4]))
    return " · ".join(parts) or "similar text"


def _same_entries(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Conditions and interventions two trials both list, as the first one writes them."""
    out = []
    for label, values in (
        ("condition", lambda r: r["conditions"]),
        ("intervention", lambda r: [i["name"] for i in r["interventions"]]),
    ):
        theirs = {v.lower() for v in values(b)}
        same = [v for v in values(a) if v.lower() in theirs]
        if same:
            out.append(f"same {label}{'s' if len(same) > 1 else ''}: " + "; ".join(same[:3]))
    return out


# -- explicit links ----------------------------------------------------------------------------
def _trial_articles(look: _Lookup, trial: dict[str, Any]) -> list[Item]:
    """A trial's references that are indexed (by type), then articles naming its NCT id."""
    found: dict[int, Item] = {}  # docnum -> its item, the first reason kept
    refs = sorted(
        (r for r in trial["references"] if r["pmid"]),
        key=lambda r: REFERENCE_ORDER.index(r["type"]) if r["type"] in REFERENCE_ORDER else 9,
    )
    for ref in refs:
        d = look.docnum(ref["pmid"], f.ARTICLE)
        if d is not None and d not in found:
            kind = ref["type"] or "listed"
            found[d] = look.item(d, f"cited by this trial as a {kind} reference")
    nct = trial["nct_id"]
    naming = look.view.term(f.LINKS, nct) & look.view.term(f.TYPE, f.ARTICLE)
    for d in look.newest(naming, EXPLICIT_LIMIT):
        if d not in found:
            found[d] = look.item(d, _naming_reason(look.record(d), nct))
    return list(found.values())[:EXPLICIT_LIMIT]


def _naming_reason(article: dict[str, Any], nct: str) -> str:
    if nct in article["nct_ids"]:
        return f"lists {nct} in its DataBankList (trial registration)"
    if nct in _NCT.findall(article["title"]):
        return f"names {nct} in its title"
    return f"names {nct} in its abstract"


def _named_trials(article: dict[str, Any]) -> list[tuple[str, str]]:
    """The NCT ids an article names and where: its DataBankList, then its title, then its
    abstract (repeats kept: the first one found wins)."""
    abstract = " ".join(s["text"] for s in article["abstract"])
    named = [(n, "in its DataBankList") for n in article["nct_ids"]]
    named += [(n, "in its title") for n in _NCT.findall(article["title"])]
    return named + [(n, "in its abstract") for n in _NCT.findall(abstract)]


def _article_trials(look: _Lookup, article: dict[str, Any]) -> list[Item]:
    """Trials an article names (DataBankList, then title/abstract), then trials citing it."""
    found: dict[int, Item] = {}  # docnum -> its item, the first reason kept
    for nct, where in _named_trials(article):
        d = look.docnum(nct, f.TRIAL)
        if d is not None and d not in found:
            found[d] = look.item(d, f"this article names {nct} {where}")
    pmid = article["pmid"]
    citing = look.view.term(f.LINKS, pmid) & look.view.term(f.TYPE, f.TRIAL)
    for d in look.newest(citing, EXPLICIT_LIMIT):
        if d not in found:
            kinds = [r["type"] for r in look.record(d)["references"] if r["pmid"] == pmid]
            kind = kinds[0] if kinds and kinds[0] else "listed"
            found[d] = look.item(d, f"cites this article as a {kind} reference")
    return list(found.values())[:EXPLICIT_LIMIT]


# -- MeSH --------------------------------------------------------------------------------------
def _role_reason(role: str) -> str:
    return {
        "condition": "a condition of this trial",
        "intervention": "an intervention of this trial",
        "major topic": "a major topic of this article",
    }.get(role, "a MeSH heading of this article")


def _undefined(look: _Lookup, trial: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The trial's condition and intervention terms that resolve to no MeSH record."""
    found = {}
    for role, key in (("condition", "condition_mesh"), ("intervention", "intervention_mesh")):
        for m in trial[key]:
            if look.book.resolve(m["ui"], m["term"]) is None:
                found.setdefault(m["term"], _role_reason(role))
    return tuple(found.items())


def _definition(d: Descriptor, reason: str) -> Item:
    return Item(d.ui, f.MESH_TYPE, d.heading, reason, note=d.scope_note)


def _topics(look: _Lookup, descriptors: list[Descriptor]) -> tuple[Topic, ...]:
    codes = sorted({t[:3] for d in descriptors for t in d.tree_numbers})
    out = []
    for code in codes:
        d = look.book.at_tree(code)
        count = look.ranker.count(f.MESH_CAT, code)
        category = f.MESH_CATEGORIES.get(code[:1], "MeSH")
        out.append(Topic(code, d.heading if d else code, category, count))
    return tuple(out)


def _descriptor_related(look: _Lookup, docnum: int, record: dict[str, Any], limit: int) -> Related:
    book = look.book
    d = book.get(record["ui"])
    assert d is not None
    mesh_items: list[Item] = []
    seen = {d.ui}
    for tree in d.tree_numbers:
        pos = book.position(tree)
        near = [(t, b, "broader") for t, b in pos.broader[-1:]]
        near += [(t, n, "narrower") for t, n in pos.narrower]
        for t, other, kind in near:
            if other is not None and other.ui not in seen:
                seen.add(other.ui)
                mesh_items.append(_definition(other, f"{kind} descriptor (tree {t})"))
    everything = book.indexed(d)
    sections = []
    for kind in (f.TRIAL, f.ARTICLE):
        of_kind = look.view.term(f.TYPE, kind)
        direct = look.view.term(f.MESH_UI, d.ui) & of_kind
        below = everything & of_kind & ~direct
        items = [look.item(x, f"indexed with {d.heading}") for x in look.newest(direct, limit)]
        for x in look.newest(below, limit - len(items)):
            items.append(look.item(x, _narrower_reason(look, x, d)))
        sections.append(Section(tuple(items), (everything & of_kind).bit_count()))
    mesh = Section(tuple(mesh_items[:limit]), len(mesh_items))
    return Related(d.ui, f.MESH_TYPE, sections[0], sections[1], mesh, _topics(look, [d]))


def _narrower_reason(look: _Lookup, docnum: int, d: Descriptor) -> str:
    """'indexed with Uveal Neoplasms, narrower than Melanoma' (which one, from the record)."""
    below = tuple(t + "." for t in d.tree_numbers)
    for c in concepts(look.book, look.record(docnum), look.tuning):
        if any(t.startswith(below) for t in c.descriptor.tree_numbers):
            return f"indexed with {c.descriptor.heading}, narrower than {d.heading}"
    return f"indexed with a descriptor narrower than {d.heading}"
