"""indexer.pubmed: real PubMed/MEDLINE records (tests/data/pubmed/, see its README)."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import pytest

from indexer import pubmed
from indexer.errors import SourceError
from indexer.pubmed import parse_pubmed
from indexer.records import (
    AbstractSection,
    Article,
    Author,
    Deleted,
    MeshHeading,
    Qualifier,
    Skipped,
)

DATA = Path(__file__).parent / "data" / "pubmed"
UPDATE_2021 = DATA / "pubmed21n1298_selection.xml"
BASELINE_2020 = DATA / "pubmed20n0014_selection.xml.gz"
MEDLINE_2016 = DATA / "medline16n0902_selection.xml"
DELETED_2021 = (
    "31688362 31764432 31895213 31895214 31917726 33268618 33268619 33325556 33370518 "
    "33378316 33417394 33538040 33667199 33759239 33814563 33913214 33982926 34059851 "
    "34081395 34096142"
).split()


def parse(path: Path) -> list:
    with path.open("rb") as raw:
        stream = gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
        return list(parse_pubmed(stream, path.name))


def by_pmid(path: Path) -> dict[str, Article]:
    return {r.pmid: r for r in parse(path) if isinstance(r, Article)}


def parse_until_error(stream: io.BufferedIOBase, name: str) -> tuple[list, SourceError]:
    got: list = []
    with pytest.raises(SourceError) as info:
        for record in parse_pubmed(stream, name):
            got.append(record)
    return got, info.value


# ------------------------------------------------------------------ whole files


def test_update_file_records_in_order_with_deletions_last() -> None:
    records = parse(UPDATE_2021)
    assert [r.pmid for r in records if isinstance(r, Article)] == [
        "29782900",
        "32472320",
        "33270213",
        "33309739",
        "33400941",
        "33794050",
        "34086287",
        "34091420",
    ]
    assert records[8:] == [Deleted(pmid) for pmid in DELETED_2021]


def test_legacy_medline_citation_set_with_delete_citation() -> None:
    records = parse(MEDLINE_2016)
    assert [r.pmid for r in records[:3]] == ["18621939", "21933749", "26206344"]
    assert records[3:] == [Deleted("26432306")]
    assert all(r.source == "pubmed-xml" and not r.is_book for r in records[:3])


def test_gzip_fixture_gives_the_baseline_records() -> None:
    assert list(by_pmid(BASELINE_2020)) == [
        "399314",
        "400274",
        "401850",
        "403162",
        "407194",
        "412714",
        "415083",
        "425003",
        "426555",
        "427806",
    ]


def test_cited_pmids_are_not_taken_for_the_record_pmid() -> None:
    # 21933749 cites 16014882, 26206344 cites 8320406, 21647305 cites 8786457
    # (CommentsCorrections/PMID): only MedlineCitation/PMID is the record's id.
    assert "16014882" not in by_pmid(MEDLINE_2016)
    assert "8320406" not in by_pmid(MEDLINE_2016)
    cpfe = by_pmid(DATA / "mokztk-pubmed-parser_CPFE_selection.xml")
    assert list(cpfe) == ["21647305", "16786252"]


# ----------------------------------------------------------------- exact records


def test_medline_date_and_major_qualifiers_exact_record() -> None:
    assert by_pmid(BASELINE_2020)["403162"] == Article(
        pmid="403162",
        title="Effect of wide field irradiation on unirradiated tumors in the same host.",
        abstract=(),
        journal_title="International journal of radiation oncology, biology, physics",
        journal_iso="Int. J. Radiat. Oncol. Biol. Phys.",
        pub_date="1977-01",
        pub_year=1977,
        medline_date="1977 Jan-Feb",
        authors=(
            Author("Copper", "J S", "JS", ""),
            Author("Bart", "R S", "RS", ""),
            Author("Kopf", "A W", "AW", ""),
            Author("Newall", "J", "J", ""),
        ),
        mesh_headings=(
            MeshHeading("D000818", "Animals", False, ()),
            MeshHeading("D005260", "Female", False, ()),
            MeshHeading("D007165", "Immunosuppression", True, ()),
            MeshHeading(
                "D008545",
                "Melanoma",
                True,  # the descriptor is not major, its qualifier radiotherapy is
                (
                    Qualifier("Q000276", "immunology", False),
                    Qualifier("Q000532", "radiotherapy", True),
                ),
            ),
            MeshHeading("D051379", "Mice", False, ()),
            MeshHeading("D008810", "Mice, Inbred C57BL", False, ()),
            MeshHeading(
                "D009362", "Neoplasm Metastasis", True, (Qualifier("Q000276", "immunology", True),)
            ),
            MeshHeading("D009368", "Neoplasm Transplantation", False, ()),
            MeshHeading(
                "D009374",
                "Neoplasms, Experimental",
                False,
                (
                    Qualifier("Q000276", "immunology", False),
                    Qualifier("Q000532", "radiotherapy", False),
                ),
            ),
            MeshHeading("D011882", "Radiotherapy, High-Energy", False, ()),
        ),
        keywords=(),
        publication_types=("Journal Article",),
        languages=("eng",),
        doi="10.1016/0360-3016(77)90019-0",
        nct_ids=(),
        status="MEDLINE",
        is_book=False,
        source="pubmed-xml",
        revised_date="2019-07-08",  # <DateRevised> 2019 07 08
        volume="2",
        issue="1-2",
        pages="133-9",  # NLM's shortened end page, as written
    )


def test_other_medline_dates() -> None:
    records = by_pmid(BASELINE_2020) | by_pmid(UPDATE_2021) | by_pmid(MEDLINE_2016)
    dates = {
        p: (records[p].pub_date, records[p].pub_year, records[p].medline_date) for p in records
    }
    assert dates["407194"] == ("1977-05", 1977, "1977 May-Jun")
    assert dates["415083"] == ("1978-01", 1978, "1978 Jan-Feb")
    assert dates["33400941"] == ("2021-07", 2021, "2021 Jul-Aug")
    assert dates["18621939"] == ("2008-07", 2008, "2008 Jul-Aug")
    # Year/Month/Day, month as a name or a number
    assert dates["34091420"] == ("2021-06-03", 2021, "")
    assert dates["400274"] == ("1979-12", 1979, "")
    assert dates["21933749"] == ("2011-10", 2011, "")


@pytest.mark.parametrize(
    ("medline_date", "iso"),
    [
        ("1977 Jan-Feb", "1977-01"),
        ("1979 Nov-1980 May", "1979-11"),
        ("1977 Aug 27-Sep 3", "1977-08"),
        ("1978-1979", "1978"),
        ("1979-1980 Fall-Winter", "1979"),
        ("1977 Fall-Winter", "1977"),
        ("2021 3rd Quarter", "2021"),
        ("2019 Jan - Feb", "2019-01"),
        ("Winter 1977", "1977"),
        ("Spring-Summer", ""),
    ],
)
def test_medline_date_text(medline_date: str, iso: str) -> None:
    assert pubmed._medline_iso(medline_date) == iso


def test_structured_abstract_databank_nct_and_doi() -> None:
    record = by_pmid(UPDATE_2021)["34091420"]
    assert [(s.label, s.category) for s in record.abstract] == [
        ("BACKGROUND", "BACKGROUND"),
        ("METHODS", "METHODS"),
        ("RESULTS", "RESULTS"),
        ("CONCLUSION", "CONCLUSIONS"),
    ]
    assert record.abstract[3] == AbstractSection(
        "CONCLUSION",
        "CONCLUSIONS",
        "The improved efficacy of encorafenib plus binimetinib compared to vemurafenib, "
        "translates into a positive impact on the perceived health status as assessed by the "
        "HRQoL questionnaires. The study is registered with ClinicalTrials.gov, number "
        "NCT01909453 and EudraCT number 2013-001176-38.",
    )
    assert "3.03 [p < 0.0001] for FACT M" in record.abstract[2].text  # &lt; decoded
    assert record.nct_ids == ("NCT01909453",)
    assert record.doi == "10.1016/j.ejca.2021.04.028"
    assert record.status == "Publisher"
    assert record.journal_title == "European journal of cancer (Oxford, England : 1990)"
    assert record.journal_iso == "Eur J Cancer"
    assert record.keywords == (
        "BRAF(V600E−K) mutant Melanoma",
        "BRAF/MEK inhibitors Combination",
        "Encorafenib plus binimetinib",
        "Health-related quality of life",
        "Hospitalisation rate",
    )
    assert len(record.authors) == 22
    assert record.authors[4] == Author("Mandalà", "Mario", "M", "")
    assert record.authors[-1] == Author("Flaherty", "Keith T", "KT", "")
    assert record.mesh_headings == ()


def test_legacy_record_databank_and_labels() -> None:
    record = by_pmid(MEDLINE_2016)["21933749"]
    assert record.nct_ids == ("NCT00585195",)
    assert record.title == (
        "Effect of crizotinib on overall survival in patients with advanced non-small-cell "
        "lung cancer harbouring ALK gene rearrangement: a retrospective analysis."
    )
    assert [(s.label, s.category) for s in record.abstract] == [
        ("BACKGROUND", "BACKGROUND"),
        ("METHODS", "METHODS"),
        ("FINDINGS", "RESULTS"),
        ("INTERPRETATION", "CONCLUSIONS"),
        ("FUNDING", "BACKGROUND"),
    ]
    assert record.abstract[4].text == "Pfizer Inc, V Foundation for Cancer Research."
    assert record.journal_iso == "Lancet Oncol."
    assert record.authors[0] == Author("Shaw", "Alice T", "AT", "")
    assert record.mesh_headings[2] == MeshHeading(
        "D000970", "Antineoplastic Agents", True, (Qualifier("Q000627", "therapeutic use", True),)
    )
    assert record.status == "MEDLINE"


def test_inline_markup_keeps_its_text() -> None:
    record = by_pmid(UPDATE_2021)["33309739"]
    # <ArticleTitle>... between CD8<sup>+</sup> T cells in ...</ArticleTitle>
    assert record.title == (
        "Single-cell RNA sequencing of psoriatic skin identifies pathogenic Tc17 cell subsets "
        "and reveals distinctions between CD8+ T cells in autoimmunity and cancer."
    )
    assert record.abstract[0] == AbstractSection(
        "BACKGROUND",
        "BACKGROUND",
        "Psoriasis is an inflammatory, IL-17-driven skin disease in which autoantigen-induced "
        "CD8+ T cells have been identified as pathogenic drivers.",
    )
    assert record.keywords[0] == "CD8(+) T cell"


def test_mesh_major_from_qualifier_in_2021_record() -> None:
    record = by_pmid(UPDATE_2021)["29782900"]
    assert record.mesh_headings[2] == MeshHeading(
        "D002280",
        "Carcinoma, Basal Cell",
        True,
        (
            Qualifier("Q000453", "epidemiology", True),
            Qualifier("Q000473", "pathology", True),
            Qualifier("Q000503", "physiopathology", False),
        ),
    )
    assert len(record.mesh_headings) == 13
    assert record.status == "MEDLINE"
    assert record.doi == "10.1016/j.jaad.2018.03.060"


def test_interleukin_2_heading() -> None:
    record = by_pmid(BASELINE_2020)["412714"]
    assert record.mesh_headings[6] == MeshHeading(
        "D007376", "Interleukin-2", False, (Qualifier("Q000096", "biosynthesis", False),)
    )
    assert record.mesh_headings[8] == MeshHeading(
        "D008214", "Lymphocytes", True, (Qualifier("Q000166", "cytology", True),)
    )
    assert (record.journal_iso, record.pub_date, record.doi) == ("Fed. Proc.", "1978-01", "")


def test_vernacular_title_when_article_title_is_empty() -> None:
    record = by_pmid(UPDATE_2021)["32472320"]
    assert record.title == "Briefsammlung Wittelshöfer."
    assert record.languages == ("ger",)
    assert record.publication_types == ("Letter",)


def test_collective_authors() -> None:
    authors = by_pmid(UPDATE_2021)["33270213"].authors
    assert len(authors) == 14
    assert authors[-4:] == (
        Author("", "", "", "Australian Melanoma Family Study Investigators"),
        Author("", "", "", "Leeds Case-Control Study Investigators"),
        Author("Robbins", "H A", "HA", ""),
        Author("Cust", "A E", "AE", ""),
    )


def test_other_abstract_used_when_there_is_no_abstract() -> None:
    record = by_pmid(BASELINE_2020)["400274"]  # only an <OtherAbstract Type="PIP">
    assert len(record.abstract) == 1
    assert record.abstract[0].label == ""
    assert record.abstract[0].text.startswith(
        "The emergence of a debate in the US regarding poliomyelitis immunization practices"
    )
    assert record.abstract[0].text.endswith("followed by reimmunization with oral vaccine.")
    assert record.keywords[:3] == ("Americas", "Bacterial And Fungal Diseases", "Biology")


def test_invalid_author_dropped_and_mesh_without_ui() -> None:
    record = by_pmid(DATA / "mokztk-pubmed-parser_CPFE_selection.xml")["16786252"]
    # <Author ValidYN="N"> Chai, Hei-Min (a corrected spelling of Chai, Huei-Ming)
    assert [(a.last_name, a.fore_name) for a in record.authors] == [
        ("Lin", "Da-Hon"),
        ("Lin", "Yeong-Fwu"),
        ("Chai", "Huei-Ming"),
        ("Han", "Yueh-Chin"),
        ("Jan", "Mei-Hwa"),
    ]
    # a 2012 DTD: DescriptorName without UI
    assert record.mesh_headings[1] == MeshHeading(
        "", "Exercise Therapy", True, (Qualifier("", "methods", True),)
    )
    assert record.abstract[5].label == "MAIN OUTCOME MEASURES"
    assert record.abstract[5].category == "METHODS"


def test_nct_ids_cited_outside_databanks_are_not_extracted() -> None:
    records = by_pmid(UPDATE_2021)
    # these cite NCT00499499 / NCT00004216... only in their ReferenceList
    assert records["33794050"].nct_ids == ()
    assert records["34086287"].nct_ids == ()
    assert records["34086287"].doi == "10.1007/978-1-0716-1499-0_19"  # not a reference's
    # NCT00003117 appears in the abstract text, which stays searchable
    data3 = by_pmid(DATA / "PubData2XL_pubmed_data3_selection.xml")["32951293"]
    assert data3.nct_ids == ()
    assert "Clinical trial identification number: NCT00003117 (CALGB 9730)" in (
        data3.abstract[3].text
    )
    assert [s.label for s in data3.abstract] == [
        "BACKGROUND",
        "MATERIALS AND METHODS",
        "RESULTS",
        "CONCLUSION",
    ]
    assert data3.abstract[0].category == ""


# ------------------------------------------------------------------------ books


def test_book_record() -> None:
    (record,) = parse(DATA / "PubData2XL_book.xml")
    text = record.abstract[0].text
    assert record.pmid == "29262162"
    assert record.is_book is True
    assert record.title == "Qualitative Study"
    assert record.journal_title == "StatPearls"
    assert record.journal_iso == ""
    assert (record.pub_date, record.pub_year, record.medline_date) == ("2023-01", 2023, "")
    assert record.authors == (
        Author("Tenny", "Steven", "S", ""),
        Author("Brannan", "Janelle M.", "JM", ""),
        Author("Brannan", "Grace D.", "GD", ""),
    )
    assert record.publication_types == ("Study Guide",)
    assert record.languages == ("eng",)
    assert record.keywords[:2] == ("NICE process and methods guides", "process guide/guidance")
    assert record.doi == "10.3389/fgene.2012.00330"  # Book/ELocationID
    assert (record.status, record.nct_ids, record.mesh_headings) == ("", (), ())
    assert len(record.abstract) == 1
    assert text.startswith("Qualitative research is a type of research that explores")
    assert "but why does this correlation exist?" in text  # <i>why</i>
    assert "Examples of Qualitative Research Approaches Ethnography Ethnography as" in text
    assert "Copyright" not in text  # <CopyrightInformation> is not an AbstractText


def test_book_chapter_editors_excluded() -> None:
    (record,) = parse(DATA / "PubData2XL_pubmed_data_selection.xml")
    assert record.pmid == "34473443"
    assert record.title == (
        "Axonal Transport and Local Translation of mRNA in Amyotrophic Lateral Sclerosis"
    )
    assert record.journal_title == "Amyotrophic Lateral Sclerosis"
    # Book/AuthorList Type="editors" (Araki) is left out; Araki is also a chapter author
    assert record.authors == (
        Author("Nagano", "Seiichi", "S", ""),
        Author("Araki", "Toshiyuki", "T", ""),
    )
    # the chapter's DOI (BookDocument/ArticleIdList), not the book's ELocationID
    assert (
        record.doi == "10.36255/exonpublications.amyotrophiclateralsclerosis.axonaltransport.2021"
    )
    assert record.pub_date == "2021-07-25"
    assert record.is_book is True


# ---------------------------------------------------------------- broken input


def test_unknown_root_is_a_source_error(tmp_path: Path) -> None:
    data = UPDATE_2021.read_bytes()
    data = data.replace(b"<PubmedArticleSet>", b"<ArticleSet>")
    data = data.replace(b"</PubmedArticleSet>", b"</ArticleSet>")
    path = tmp_path / "renamed.xml"
    path.write_bytes(data)
    with path.open("rb") as stream:
        got, error = parse_until_error(stream, "renamed.xml")
    assert got == []
    assert str(error) == "renamed.xml: unknown root element <ArticleSet>"


def test_truncated_xml_yields_whole_records_then_fails(tmp_path: Path) -> None:
    lines = UPDATE_2021.read_bytes().split(b"\n")
    path = tmp_path / "cut.xml"
    path.write_bytes(b"\n".join(lines[:1100]))  # inside the 5th record (33400941)
    with path.open("rb") as stream:
        got, error = parse_until_error(stream, "cut.xml")
    assert [r.pmid for r in got] == ["29782900", "32472320", "33270213", "33309739"]
    assert error.path == "cut.xml"
    assert error.where == "line 1100"
    assert error.reason.startswith("malformed XML: Premature end of data")


def test_truncated_gzip_yields_whole_records_then_fails(tmp_path: Path) -> None:
    raw = BASELINE_2020.read_bytes()
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(raw[: len(raw) // 2])
    # what the cut file holds, read without error: its whole records must all come out
    readable = zlib.decompressobj(wbits=31).decompress(path.read_bytes())
    whole = readable.count(b"</PubmedArticle>")
    with path.open("rb") as stream:
        got, error = parse_until_error(gzip.GzipFile(fileobj=stream), "cut.xml.gz")
    assert whole == 4
    assert [r.pmid for r in got] == ["399314", "400274", "401850", "403162"]
    assert error.reason == (
        "truncated or corrupt compressed data "
        "(Compressed file ended before the end-of-stream marker was reached)"
    )


def test_record_without_pmid_is_skipped(tmp_path: Path) -> None:
    text = gzip.decompress(BASELINE_2020.read_bytes())
    pmid = b'      <PMID Version="1">403162</PMID>\n'
    assert text.count(pmid) == 1
    path = tmp_path / "no_pmid.xml"
    path.write_bytes(text.replace(pmid, b""))
    with path.open("rb") as stream:
        records = list(parse_pubmed(stream, "no_pmid.xml"))
    assert len(records) == 10
    assert records[3] == Skipped("no_pmid.xml", "line 440", "record has no PMID")
    assert [r.pmid for r in records if isinstance(r, Article)][2:4] == ["401850", "407194"]


def test_stream_without_seek_or_read1() -> None:
    class OneWay:
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self._data.read(size)

    records = list(parse_pubmed(OneWay(MEDLINE_2016.read_bytes()), "pipe"))  # type: ignore[arg-type]
    assert [type(r).__name__ for r in records] == ["Article"] * 3 + ["Deleted"]


def test_volume_issue_and_pages() -> None:
    path = Path(__file__).parent / "data" / "records" / "pubmed21n1298_33939274.xml"
    (a,) = parse(path)
    assert (a.pmid, a.volume, a.issue, a.pages) == ("33939274", "25", "11", "5305-5315")
    assert (a.journal_iso, a.pub_date) == ("J Cell Mol Med", "2021-06")


def test_record_with_a_bad_pmid_is_skipped() -> None:
    text = gzip.decompress(BASELINE_2020.read_bytes())
    pmid = b'<PMID Version="1">403162</PMID>'
    text = text.replace(pmid, pmid.replace(b"403162", b"40/3162"))
    records = list(parse_pubmed(io.BytesIO(text), "f"))
    assert records[3] == Skipped("f", "line 440", "PMID '40/3162' is not 1 to 9 digits")
    assert len(records) == 10


def test_deletion_notice_with_a_bad_pmid_is_skipped() -> None:
    text = UPDATE_2021.read_bytes().replace(b">34096142<", b">../34096142<")
    line = text[: text.index(b"<DeleteCitation")].count(b"\n") + 1
    records = list(parse_pubmed(io.BytesIO(text), "f"))
    assert records[-1] == Skipped(
        "f", f"line {line}", "deletion notice: PMID '../34096142' is not 1 to 9 digits"
    )
    assert records[-2] == Deleted("34081395")
