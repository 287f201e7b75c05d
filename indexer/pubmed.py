"""PubMed / MEDLINE XML -> `records.Article` and `records.Deleted`.

Reads NLM baseline and update files and efetch exports (`<PubmedArticleSet>`) and the legacy
`<MedlineCitationSet>` files, one top-level record at a time with iterparse, each record
cleared once read. The external DTD named by the DOCTYPE is never loaded nor fetched.

Choices, where the XML leaves room:
* title: ArticleTitle as plain text (the text of inline `<i>`, `<sup>`... kept, tags
  dropped), else VernacularTitle (translated titles may have an empty ArticleTitle).
* abstract: the AbstractText sections (Label, NlmCategory) of `Abstract`. OtherAbstract
  (PIP, publisher's non-English abstract, plain-language summary) is used only when there
  is no Abstract, and then only the first English one.
* dates from JournalIssue/PubDate: Year/Month/Day -> "1977", "1977-01", "1977-01-05" (month
  "Jan" or "1"). A MedlineDate is kept raw in `medline_date`; `pub_date` is its first
  4-digit year, plus the month when a month name follows that year ("1977 Jan-Feb" and
  "1977 Apr 11-17" -> "1977-0x"; "1978-1979", "Winter 1977" -> the year). A PubDate without
  a year falls back to ArticleDate (electronic publication), then DateCompleted; never to
  DateRevised, which moves with every revision (2019 for a 1977 citation).
* authors: AuthorList/Author, except `ValidYN="N"` ones (names NLM flags as wrong) and
  editor lists; a group author has only `collective_name`.
* DOI: ArticleId[@IdType="doi"] of PubmedData (never of a ReferenceList), else
  ELocationID[@EIdType="doi"]. nct_ids: only DataBanks named ClinicalTrials.gov; an NCT id
  named only in the abstract text or in a ReferenceList citation is not extracted.
* books (PubmedBookArticle/BookDocument, e.g. StatPearls chapters) are articles with
  is_book=True: title = ArticleTitle, else BookTitle; journal_title = Book/BookTitle,
  journal_iso = ""; date from Book/PubDate, else ContributionDate; authors of the chapter,
  else of the book (never editors); status = "".
* volume, issue: JournalIssue's; pages: Pagination/MedlinePgn as written (NLM abbreviates
  the end page: "123-9"), else StartPage-EndPage.
* DeleteCitation gives one `Deleted(pmid)` per PMID; a record without a PMID gives
  `Skipped(name, "line N", "record has no PMID")`. Whitespace runs become one space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from lxml import etree

from indexer.ids import bad_id
from indexer.limits import DEFAULT_LIMITS, Limits
from indexer.records import (
    AbstractSection,
    Article,
    Author,
    Deleted,
    MeshHeading,
    Qualifier,
    Skipped,
)
from indexer.xmlstream import Oversized, children

NO_PMID = "record has no PMID"
SOURCE = "pubmed-xml"
_ROOTS = ("PubmedArticleSet", "MedlineCitationSet")
_RECORDS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "DeleteCitation")
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_MONTH_AFTER_YEAR = re.compile(r"\s*([A-Za-z]{3,})")
_NCT = re.compile(r"NCT\d{8}")

Element = etree._Element


def parse_pubmed(
    stream: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Article | Deleted | Skipped]:
    """The records of one PubMed/MEDLINE XML document, in file order.

    Raises SourceError if the root is neither `<PubmedArticleSet>` nor `<MedlineCitationSet>`,
    or, after yielding every record read before the break, if the XML is malformed or the
    (gzip) stream is truncated. Elements between records that are not records are cleared as
    they stream past; a record past the record limits is Skipped ("line N").
    """
    for elem in children(stream, name, _ROOTS, _RECORDS, limits):
        if isinstance(elem, Oversized):
            yield Skipped(name, f"line {elem.line}", elem.reason)
        elif elem.tag in _RECORDS:
            yield from _record(elem, name)


def _record(elem: Element, name: str) -> Iterator[Article | Deleted | Skipped]:
    where = f"line {elem.sourceline}" if elem.sourceline else ""
    if elem.tag == "DeleteCitation":
        for pmid in filter(None, map(_text, elem.iterfind("PMID"))):
            reason = bad_id("PMID", pmid)
            yield Skipped(name, where, f"deletion notice: {reason}") if reason else Deleted(pmid)
        return
    if elem.tag == "PubmedBookArticle":
        article = _book(elem.find("BookDocument"), elem.find("PubmedBookData"))
    elif elem.tag == "PubmedArticle":
        article = _citation(elem.find("MedlineCitation"), elem.find("PubmedData"))
    else:  # a top-level MedlineCitation (MedlineCitationSet)
        article = _citation(elem, None)
    if article is None:
        yield Skipped(name, where, NO_PMID)
    elif reason := bad_id("PMID", article.pmid):
        yield Skipped(name, where, reason)
    else:
        yield article


# ------------------------------------------------------------------------ text helpers


def _text(elem: Element | None, path: str = "") -> str:
    """The whole text of `elem` (or of its descendant at `path`), inline markup dropped."""
    if elem is not None and path:
        elem = elem.find(path)
    if elem is None:
        return ""
    text = elem.text if len(elem) == 0 else "".join(elem.itertext())
    return " ".join(text.split()) if text else ""


def _texts(elem: Element | None, path: str) -> tuple[str, ...]:
    """The distinct non-empty texts of the descendants at `path`, in order."""
    found = (_text(e) for e in elem.iterfind(path)) if elem is not None else ()
    return tuple(dict.fromkeys(t for t in found if t))


def _first(elems: Iterable[Element | None]) -> str:
    return next((t for t in map(_text, elems) if t), "")


# ------------------------------------------------------------- one helper per element


def _citation(citation: Element | None, data: Element | None) -> Article | None:
    """A `MedlineCitation` (and the `PubmedData` beside it) as an Article."""
    pmid = _text(citation, "PMID")
    if citation is None or not pmid:
        return None
    article = _or_empty(citation.find("Article"))
    journal = _or_empty(article.find("Journal"))
    return _article(
        pmid,
        _pub_date(
            journal.find("JournalIssue/PubDate"),
            article.find("ArticleDate"),
            citation.find("DateCompleted"),
        ),
        title=_first([article.find("ArticleTitle"), article.find("VernacularTitle")]),
        abstract=_abstract(article.find("Abstract"), citation.iterfind("OtherAbstract")),
        journal_title=_text(journal, "Title"),
        journal_iso=_text(journal, "ISOAbbreviation"),
        authors=_authors(article.iterfind("AuthorList")),
        mesh_headings=tuple(map(_mesh_heading, citation.iterfind("MeshHeadingList/MeshHeading"))),
        keywords=_texts(citation, "KeywordList/Keyword"),
        publication_types=_texts(article, "PublicationTypeList/PublicationType"),
        languages=_texts(article, "Language"),
        doi=_doi(data, [article]),
        nct_ids=_nct_ids(article),
        status=citation.get("Status", ""),
        is_book=False,
        revised_date=_ymd(citation.find("DateRevised")),
        volume=_text(journal, "JournalIssue/Volume"),
        issue=_text(journal, "JournalIssue/Issue"),
        pages=_pages(article.find("Pagination")),
    )


def _book(document: Element | None, data: Element | None) -> Article | None:
    """A `BookDocument` (and the `PubmedBookData` beside it) as an Article (is_book)."""
    pmid = _text(document, "PMID")
    if document is None or not pmid:
        return None
    book = _or_empty(document.find("Book"))
    titles = [document.find("ArticleTitle"), book.find("BookTitle")]
    return _article(
        pmid,
        _pub_date(book.find("PubDate"), document.find("ContributionDate")),
        title=_first([*titles, document.find("VernacularTitle")]),
        abstract=_abstract(document.find("Abstract"), ()),
        journal_title=_text(book, "BookTitle"),
        journal_iso="",
        authors=_authors(document.iterfind("AuthorList")) or _authors(book.iterfind("AuthorList")),
        mesh_headings=tuple(map(_mesh_heading, document.iterfind("MeshHeadingList/MeshHeading"))),
        keywords=_texts(document, "KeywordList/Keyword"),
        publication_types=_texts(document, "PublicationType"),
        languages=_texts(document, "Language"),
        doi=_doi(data, [document, book]),
        nct_ids=(),
        status="",
        is_book=True,
        revised_date=_ymd(document.find("DateRevised")),
    )


def _article(pmid: str, dates: tuple[str, str], **fields: Any) -> Article:
    pub_date, medline_date = dates
    pub_year = int(pub_date[:4]) if pub_date else None
    return Article(
        pmid=pmid,
        pub_date=pub_date,
        pub_year=pub_year,
        medline_date=medline_date,
        source=SOURCE,
        **fields,
    )


def _pages(pagination: Element | None) -> str:
    """MedlinePgn as NLM writes it ("5305-5315", "123-9", "e1234"), else StartPage-EndPage."""
    medline = _text(pagination, "MedlinePgn")
    if medline or pagination is None:
        return medline
    return "-".join(p for p in (_text(pagination, "StartPage"), _text(pagination, "EndPage")) if p)


def _or_empty(elem: Element | None) -> Element:
    """`elem`, or an empty element to search in when it is absent."""
    return elem if elem is not None else etree.Element("absent")


def _abstract(abstract: Element | None, others: Iterable[Element]) -> tuple[AbstractSection, ...]:
    sections = _sections(abstract)
    if not sections:
        english = (o for o in others if o.get("Language", "eng") == "eng")
        sections = next((s for s in map(_sections, english) if s), ())
    return sections


def _sections(abstract: Element | None) -> tuple[AbstractSection, ...]:
    texts = _or_empty(abstract).iterfind("AbstractText")
    sections = (
        AbstractSection(t.get("Label", "").strip(), t.get("NlmCategory", ""), _text(t))
        for t in texts
    )
    return tuple(s for s in sections if s.text)


def _authors(lists: Iterable[Element]) -> tuple[Author, ...]:
    authors = []
    for author_list in lists:
        if author_list.get("Type") == "editors":
            continue
        for a in author_list.iterfind("Author"):
            if a.get("ValidYN") == "N":
                continue
            author = Author(
                last_name=_text(a, "LastName"),
                fore_name=_text(a, "ForeName"),
                initials=_text(a, "Initials"),
                collective_name=_text(a, "CollectiveName"),
            )
            if author.last_name or author.collective_name:
                authors.append(author)
    return tuple(authors)


def _mesh_heading(heading: Element) -> MeshHeading:
    descriptor = _or_empty(heading.find("DescriptorName"))
    qualifiers = tuple(
        Qualifier(q.get("UI", ""), _text(q), q.get("MajorTopicYN") == "Y")
        for q in heading.iterfind("QualifierName")
    )
    return MeshHeading(
        ui=descriptor.get("UI", ""),
        name=_text(descriptor),
        major=descriptor.get("MajorTopicYN") == "Y" or any(q.major for q in qualifiers),
        qualifiers=qualifiers,
    )


def _doi(data: Element | None, holders: list[Element]) -> str:
    """The DOI from `PubmedData`/`PubmedBookData` or the holders' own ArticleIdList (never
    a ReferenceList's), else from an ELocationID of `holders`."""
    ids = [e for h in [_or_empty(data), *holders] for e in h.iterfind("ArticleIdList/ArticleId")]
    doi = _first(e for e in ids if e.get("IdType") == "doi")
    if doi:
        return doi
    locations = (e for h in holders for e in h.iterfind("ELocationID"))
    return _first(e for e in locations if e.get("EIdType") == "doi" and e.get("ValidYN") != "N")


def _nct_ids(article: Element) -> tuple[str, ...]:
    found: list[str] = []
    for bank in article.iterfind("DataBankList/DataBank"):
        if _text(bank, "DataBankName").lower() == "clinicaltrials.gov":
            for number in _texts(bank, "AccessionNumberList/AccessionNumber"):
                found += _NCT.findall(number.upper().replace(" ", ""))
    return tuple(dict.fromkeys(found))


# ------------------------------------------------------------------------------- dates


def _pub_date(pub: Element | None, *fallbacks: Element | None) -> tuple[str, str]:
    """(ISO pub_date, raw MedlineDate) from a PubDate, else from the first dated fallback."""
    medline_date = _text(pub, "MedlineDate")
    iso = _medline_iso(medline_date) if medline_date else _ymd(pub)
    for fallback in fallbacks:
        iso = iso or _ymd(fallback)
    return iso, medline_date


def _ymd(elem: Element | None) -> str:
    """ "1977", "1977-01" or "1977-01-05" from Year/Month/Day children, "" without a year."""
    year = _text(elem, "Year")
    if not (len(year) == 4 and year.isdigit()):
        return ""
    month = _month(_text(elem, "Month"))
    if not month:
        return year
    day = _text(elem, "Day")
    if day.isdigit() and 1 <= int(day) <= 31:
        return f"{year}-{month:02d}-{int(day):02d}"
    return f"{year}-{month:02d}"


def _month(text: str) -> int | None:
    if text.isdigit():
        return int(text) if 1 <= int(text) <= 12 else None
    return _MONTHS.get(text[:3].lower()) if text.isalpha() and len(text) >= 3 else None


def _medline_iso(text: str) -> str:
    """ "1977 Jan-Feb" -> "1977-01"; "1978-1979", "Winter 1977", "1998 3rd Quarter" -> year."""
    year = _YEAR.search(text)
    if not year:
        return ""
    after = _MONTH_AFTER_YEAR.match(text, year.end())
    month = _month(after.group(1)) if after else None
    return f"{year.group(1)}-{month:02d}" if month else year.group(1)
