"""MeSH parsers (XML, ASCII, trees), the merge/tree join, and the tree helpers.

Fixtures (tests/data/mesh/, see its README.md) are whole real records. A few tests alter
a fixture's bytes in memory (drop a UI, break a tag, cut a gzip stream) to make the error
that they test; no record is written by hand.
"""

import gzip
import io
from pathlib import Path

import pytest

from indexer.errors import SourceError
from indexer.limits import Limits
from indexer.mesh import (
    CATEGORY_NAMES,
    TREES_SOURCE,
    MeshJoinStats,
    merge_mesh,
    parse_mesh_ascii,
    parse_mesh_trees,
    parse_mesh_xml,
    spelling_key,
    tree_ancestors,
    tree_category,
)
from indexer.records import MeshDescriptor, MeshTreeLine, Skipped

DATA = Path(__file__).parent / "data" / "mesh"
BROKEN = Path(__file__).parent / "data" / "broken"
ASCII = DATA / "d2014.en_gb.subset.bin.gz"
TREES = DATA / "mtrees2014.subset.bin"
XML = DATA / "desc-samples.subset.xml"
XML_2014 = DATA / "desc2014-head.subset.xml"
NLM_ASCII = DATA / "d2017-D020739.bin"
NLM_SCR = BROKEN / "c2017-C535306.bin"

MELANOMA_NOTE = (
    "A malignant neoplasm derived from cells that are capable of forming melanin, which may "
    "occur in the skin of any part of the body, in the eye, or, rarely, in the mucous "
    "membranes of the genitalia, anus, oral cavity, or other sites. It occurs mostly in adults "
    "and may originate de novo or from a pigmented nevus or malignant lentigo. Melanomas "
    "frequently metastasize widely, and the regional lymph nodes, liver, lungs, and brain are "
    "likely to be involved. The incidence of malignant skin melanomas is rising rapidly in all "
    "parts of the world. (Stedman, 25th ed; from Rook et al., Textbook of Dermatology, 4th ed, "
    "p2445)"
)
MELANOMA_TERMS = (
    "Melanoma",
    "Malignant Melanoma",
    "Malignant Melanomas",
    "Melanoma, Malignant",
    "Melanomas",
    "Melanomas, Malignant",
)
MELANOMA_TREES = ("C04.557.465.625.650.510", "C04.557.580.625.650.510", "C04.557.665.510")


def _parse(parser, data: bytes, name: str = "f") -> list:
    return list(parser(io.BytesIO(data), name))


def _ascii() -> list:
    with gzip.open(ASCII, "rb") as stream:
        return list(parse_mesh_ascii(stream, ASCII.name))


def _by_ui(records) -> dict:
    return {r.ui: r for r in records if isinstance(r, MeshDescriptor)}


def _merged(stats: MeshJoinStats | None = None) -> tuple[dict, list[Skipped]]:
    parts = _parse(parse_mesh_xml, XML.read_bytes()) + _parse(parse_mesh_xml, XML_2014.read_bytes())
    parts += _ascii() + _parse(parse_mesh_trees, TREES.read_bytes())
    descriptors, skipped = merge_mesh(parts, stats)
    return _by_ui(descriptors), skipped


# ------------------------------------------------------------------------------ ASCII


def test_ascii_subset_yields_every_record_in_file_order():
    records = _ascii()
    assert all(isinstance(r, MeshDescriptor) for r in records)
    assert [r.ui for r in records] == [
        "D000001", "D000011", "D000740", "D000970", "D001943", "D002289", "D003606",
        "D006801", "D007376", "D007378", "D008175", "D008545", "D009203", "D009369",
        "D009370", "D009373", "D009380", "D011471", "D012878", "D016898", "D017599",
        "D018326", "D018358",
    ]  # fmt: skip
    # Aldesleukin and Temozolomide have no descriptor record in the 2014 file
    assert not {"Aldesleukin", "Temozolomide"} & {r.heading for r in records}


def test_ascii_melanoma_exact():
    melanoma = _by_ui(_ascii())["D008545"]
    assert melanoma == MeshDescriptor(
        ui="D008545",
        heading="Melanoma",
        scope_note=MELANOMA_NOTE,
        entry_terms=MELANOMA_TERMS,
        tree_numbers=(),  # the derived file has no MN lines
        source="mesh-ascii",
    )


def test_ascii_british_spelling_and_entry_terms_as_in_the_derived_file():
    records = _by_ui(_ascii())
    anaemia = records["D000740"]
    assert anaemia.heading == "Anaemia"
    assert anaemia.scope_note == (
        "A reduction in the number of circulating ERYTHROCYTES or in the quantity of HAEMOGLOBIN."
    )
    assert anaemia.entry_terms == ("Anaemia", "Anemias")
    # the 2014 record has no "Heart Attack" entry term
    assert records["D009203"].entry_terms == (
        "Myocardial Infarction",
        "Infarct, Myocardial",
        "Infarction, Myocardial",
        "Infarctions, Myocardial",
        "Infarcts, Myocardial",
        "Myocardial Infarct",
        "Myocardial Infarctions",
        "Myocardial Infarcts",
    )
    assert records["D007376"].entry_terms[:4] == ("Interleukin-2", "IL-2", "IL2", "Interleukin 2")
    assert records["D009369"].scope_note.startswith("New abnormal growth of tissue. Malignant")


def test_ascii_nlm_record_with_rectype_mn_and_entry_subfields():
    [record] = _parse(parse_mesh_ascii, NLM_ASCII.read_bytes(), "d2017")
    assert record == MeshDescriptor(
        ui="D020739",
        heading="Brain Diseases, Metabolic, Inborn",
        scope_note=(
            "Brain disorders resulting from inborn metabolic errors, primarily from enzymatic "
            "defects which lead to substrate accumulation, product reduction, or increase in "
            "toxic metabolites through alternate pathways. The majority of these conditions are "
            "familial, however spontaneous mutation may also occur in utero."
        ),
        entry_terms=(
            "Brain Diseases, Metabolic, Inborn",
            "Central Nervous System Inborn Metabolic Diseases",
            "Familial Metabolic Brain Diseases",
            "Brain Diseases, Metabolic, Familial",
            "Brain Diseases, Metabolic, Inherited",
        ),
        tree_numbers=(
            "C10.228.140.163.100",
            "C16.320.565.189",
            "C18.452.132.100",
            "C18.452.648.189",
        ),
        source="mesh-ascii",
    )


def test_ascii_qualifier_file_is_a_source_error():
    with pytest.raises(SourceError) as caught:
        _parse(parse_mesh_ascii, (BROKEN / "q2014.subset.bin").read_bytes(), "q2014.bin")
    assert str(caught.value) == (
        "q2014.bin: line 1: RECTYPE = Q (qualifier) records, not MeSH descriptors"
    )


def test_ascii_supplementary_file_is_a_source_error():
    with pytest.raises(SourceError, match=r"RECTYPE = C \(supplementary concept\) records"):
        _parse(parse_mesh_ascii, NLM_SCR.read_bytes())


def test_ascii_stray_non_descriptor_record_is_skipped():
    records = _parse(parse_mesh_ascii, NLM_ASCII.read_bytes() + NLM_SCR.read_bytes(), "mixed")
    assert [r.ui for r in records[:1]] == ["D020739"]
    assert records[1:] == [
        Skipped(
            "mixed", "line 28", "RECTYPE = C (supplementary concept) record is not a descriptor"
        )
    ]


def test_ascii_record_without_ui_is_skipped_and_the_file_goes_on():
    text = gzip.decompress(ASCII.read_bytes())
    assert text.splitlines()[11] == b"*NEWRECORD"  # the 2nd record (D000011) starts on line 12
    records = _parse(parse_mesh_ascii, text.replace(b"UI = D000011\n", b""), "d")
    assert records[1] == Skipped("d", "line 12", "record has no UI")
    assert len(records) == 23 and records[2].ui == "D000740"


def test_ascii_truncated_gzip_is_a_source_error_after_the_records_read():
    data = ASCII.read_bytes()
    stream = gzip.GzipFile(fileobj=io.BytesIO(data[: len(data) // 2]))
    got = []
    with pytest.raises(SourceError, match="truncated or corrupt compressed data"):
        for record in parse_mesh_ascii(stream, "d.gz"):
            got.append(record)
    assert got and got[0].ui == "D000001"


def test_ascii_rejects_text_that_is_not_mesh_ascii():
    with pytest.raises(SourceError, match="line 1: not a MeSH ASCII file"):
        _parse(parse_mesh_ascii, TREES.read_bytes())


# -------------------------------------------------------------------------------- XML


def test_xml_descriptors_exact():
    records = _parse(parse_mesh_xml, XML.read_bytes(), "desc")
    assert [(r.ui, r.heading) for r in records] == [
        ("D000001", "Calcimycin"),
        ("D005260", "Female"),
        ("D006801", "Humans"),
        ("D009369", "Neoplasms"),
        ("D016449", "Randomized Controlled Trial"),
    ]
    assert records[3] == MeshDescriptor(
        ui="D009369",
        heading="Neoplasms",
        scope_note=(
            "New abnormal growth of tissue. Malignant neoplasms show a greater degree of "
            "anaplasia and have the properties of invasion and metastasis, compared to benign "
            "neoplasms."
        ),
        entry_terms=(
            "Neoplasms",
            "Neoplasm",
            "Tumors",
            "Tumor",
            "Neoplasia",
            "Cancer",
            "Cancers",
            "Benign Neoplasms",
            "Neoplasms, Benign",
            "Benign Neoplasm",
            "Neoplasm, Benign",
        ),
        tree_numbers=("C04",),
        source="mesh-xml",
    )
    assert records[1] == MeshDescriptor(
        "D005260", "Female", "", ("Female", "Females"), (), "mesh-xml"
    )
    assert records[2].entry_terms == (
        "Humans",
        "Man, Modern",
        "Modern Man",
        "Man (Taxonomy)",
        "Homo sapiens",
        "Human",
    )


def test_xml_with_absent_dtd_and_wrapped_scope_note():
    records = _parse(parse_mesh_xml, XML_2014.read_bytes())
    assert [r.ui for r in records] == ["D000001", "D000011"]
    assert records[0].scope_note == (
        "An ionophorous, polyether antibiotic from Streptomyces chartreusensis. It binds and "
        "transports CALCIUM and other divalent cations across membranes and uncouples oxidative "
        "phosphorylation while inhibiting ATPase of rat liver mitochondria. The substance is "
        "used mostly as a biochemical tool to study the role of divalent cations in various "
        "biological systems."
    )
    assert records[0].entry_terms == (
        "Calcimycin",
        "A-23187",
        "A 23187",
        "Antibiotic A23187",
        "A23187, Antibiotic",
        "A23187",
    )


def test_xml_qualifier_record_set_is_a_source_error():
    with pytest.raises(SourceError) as caught:
        _parse(parse_mesh_xml, (BROKEN / "qual2014.subset.xml").read_bytes(), "qual2014.xml")
    assert str(caught.value) == (
        "qual2014.xml: unknown root element <QualifierRecordSet> (not MeSH descriptors)"
    )


def test_xml_malformed_is_a_source_error_after_the_records_before():
    broken = XML.read_bytes().replace(
        b"<String>Neoplasms</String>\n  </DescriptorName>",
        b"<String>Neoplasms</String>\n  </DescriptorNam>",
    )
    got = []
    with pytest.raises(SourceError) as caught:
        for record in parse_mesh_xml(io.BytesIO(broken), "desc.xml"):
            got.append(record)
    assert [r.ui for r in got] == ["D000001", "D005260", "D006801"]
    assert caught.value.where == "line 709"
    assert caught.value.reason.startswith("malformed XML: Opening and ending tag mismatch")


def test_xml_record_without_ui_is_skipped():
    data = XML.read_bytes().replace(b"<DescriptorUI>D005260</DescriptorUI>", b"", 1)
    records = _parse(parse_mesh_xml, data, "desc.xml")
    assert records[1] == Skipped("desc.xml", "line 394", "DescriptorRecord has no DescriptorUI")
    assert [r.ui for r in records if isinstance(r, MeshDescriptor)][-1] == "D016449"


# ------------------------------------------------------------------------------ trees


def test_trees_subset():
    lines = _parse(parse_mesh_trees, TREES.read_bytes())
    assert len(lines) == 143
    assert lines[0] == MeshTreeLine("Eukaryota", "B01")
    assert [t.tree_number for t in lines if t.heading == "Melanoma"] == list(MELANOMA_TREES)
    numbers = {t.tree_number for t in lines}
    assert all(set(tree_ancestors(n)) <= numbers for n in numbers)  # the subset is closed


def test_trees_bad_line_is_skipped_with_its_number():
    data = TREES.read_bytes() + b"Melanoma,C04.557.665.510\n"
    records = _parse(parse_mesh_trees, data, "mtrees")
    assert records[-1] == Skipped("mtrees", "line 144", "not a 'Heading;TreeNumber' line")
    assert len(records) == 144


def test_trees_rejects_a_file_that_is_not_a_tree_file():
    with pytest.raises(SourceError, match="line 1: not a MeSH tree file"):
        _parse(parse_mesh_trees, NLM_ASCII.read_bytes())


# ------------------------------------------------------------------------------ merge


def test_merge_melanoma_exact():
    descriptors, _ = _merged()
    assert descriptors["D008545"] == MeshDescriptor(
        ui="D008545",
        heading="Melanoma",
        scope_note=MELANOMA_NOTE,
        entry_terms=MELANOMA_TERMS,
        tree_numbers=MELANOMA_TREES,
        source="mesh-ascii+trees",
    )
    ancestors = {a for n in MELANOMA_TREES for a in tree_ancestors(n)}
    by_tree = {n: d.heading for d in descriptors.values() for n in d.tree_numbers}
    assert sorted({by_tree[a] for a in ancestors}) == [
        "Neoplasms",
        "Neoplasms by Histologic Type",
        "Neoplasms, Germ Cell and Embryonal",
        "Neoplasms, Nerve Tissue",
        "Neuroectodermal Tumors",
        "Neuroendocrine Tumors",
        "Nevi and Melanomas",
    ]


def test_merge_joins_british_heading_to_us_tree_heading():
    descriptors, _ = _merged()
    assert descriptors["D000740"] == MeshDescriptor(
        ui="D000740",
        heading="Anemia",  # NLM's heading, from the tree file
        scope_note=(
            "A reduction in the number of circulating ERYTHROCYTES or in the quantity of "
            "HAEMOGLOBIN."
        ),
        entry_terms=("Anemia", "Anaemia", "Anemias"),
        tree_numbers=("C15.378.071",),
        source="mesh-ascii+trees",
    )


@pytest.mark.parametrize("xml_first", [True, False])
def test_merge_xml_wins_field_by_field(xml_first):
    xml = _parse(parse_mesh_xml, XML_2014.read_bytes())
    parts = xml + _ascii() if xml_first else _ascii() + xml
    abelson = _by_ui(merge_mesh(parts)[0])["D000011"]
    assert abelson == MeshDescriptor(
        ui="D000011",
        heading="Abelson murine leukemia virus",
        scope_note=(
            "A replication-defective strain of Murine leukemia virus (LEUKEMIA VIRUS, MURINE) "
            "capable of transforming lymphoid cells and producing a rapidly progressing lymphoid "
            "leukemia after superinfection with FRIEND MURINE LEUKEMIA VIRUS; MOLONEY MURINE "
            "LEUKEMIA VIRUS; or RAUSCHER VIRUS."
        ),
        entry_terms=(
            "Abelson murine leukemia virus",
            "Abelson Leukemia Virus",
            "Leukemia Virus, Abelson",
            "Virus, Abelson Leukemia",
            "Abelson murine leukaemia virus",
            "Abelson Leukaemia Virus",
            "Leukaemia Virus, Abelson",
            "Virus, Abelson Leukaemia",
        ),
        tree_numbers=(
            "B04.820.650.375.525.020",
            "B04.909.574.807.375.525.020",
            "B04.909.777.731.375.525.020",
        ),
        source="mesh-xml+ascii",
    )


def test_merge_xml_and_ascii_entry_terms_union_and_sources():
    descriptors, _ = _merged()
    neoplasms = descriptors["D009369"]
    assert neoplasms.entry_terms[-1] == "Tumour"  # the only term the XML lacks
    assert neoplasms.source == "mesh-xml+ascii+trees"
    assert descriptors["D005260"].source == "mesh-xml"
    assert descriptors["D005260"].tree_numbers == ()


def test_merge_tree_file_numbers_replace_those_of_another_mesh_year():
    descriptors, _ = _merged()
    rct = descriptors["D016449"]  # XML of MeSH 2016 says V03.175.250.500.500
    assert rct.tree_numbers == ("V03.200.700",)  # mtrees2014
    assert rct.source == "mesh-xml+trees"
    assert descriptors["D006801"].tree_numbers == ("B01.050.150.900.649.801.400.112.400.400",)


def test_merge_statistics_and_unjoined_tree_headings():
    stats = MeshJoinStats()
    descriptors, skipped = _merged(stats)
    assert (stats.descriptors, stats.tree_headings) == (25, 83)
    assert (stats.exact, stats.spelling, stats.unjoined) == (23, 1, 59)
    assert stats.without_trees == 1  # Female: no tree number in MeSH 2014/2016
    assert stats.spelling_pairs == [("Anemia", "Anaemia")]
    assert stats.replaced_trees == 1  # Randomized Controlled Trial, see below
    assert len(skipped) == 59
    assert (
        Skipped(
            TREES_SOURCE,
            "Leukemia Virus, Murine",
            "tree heading matches no MeSH descriptor; tree numbers B04.820.650.375.525, "
            "B04.909.574.807.375.525, B04.909.777.731.375.525",
        )
        in skipped
    )
    assert len(descriptors) == 25


@pytest.mark.parametrize(
    "british, us",
    [
        ("Anaemia, Hemolytic", "Anemia, Hemolytic"),
        ("Abelson murine leukaemia virus", "Abelson murine leukemia virus"),
        ("Tumour Burden", "Tumor Burden"),
        ("Fetal Haemoglobin", "Fetal Hemoglobin"),
        ("Oecology", "Ecology"),
        ("Valsalva Manoeuvre", "Valsalva Maneuver"),
        ("Paediatrics", "Pediatrics"),
        ("Orthopaedics", "Orthopedics"),
        ("Coeliac Disease", "Celiac Disease"),
        ("Zinc Sulphate", "Zinc Sulfate"),
        ("Aluminium Compounds", "Aluminum Compounds"),
        ("Dietary Fibre", "Dietary Fiber"),
        ("Germinal Centre", "Germinal Center"),
        ("Insanity Defence", "Insanity Defense"),
        ("Jewellery", "Jewelry"),
        ("Retrospective Moral Judgement", "Retrospective Moral Judgment"),
        ("Labour, Obstetric", "Labor, Obstetric"),
        ("Vapour Pressure", "Vapor Pressure"),
        ("Aborted Foetus", "Aborted Fetus"),
        ("Barrett Oesophagus", "Barrett Esophagus"),
        ("Selective Oestrogen Receptor Modulators", "Selective Estrogen Receptor Modulators"),
        ("Brain Oedema", "Brain Edema"),
        ("Diarrhoea, Infantile", "Diarrhea, Infantile"),
        ("Gynaecology", "Gynecology"),
        ("Colour Vision Defects", "Color Vision Defects"),
        ("Balanced Anaesthesia", "Balanced Anesthesia"),
        ("Immunisation", "Immunization"),
    ],
)
def test_spelling_key_maps_british_and_us_to_one_key(british, us):
    assert spelling_key(british) == spelling_key(us) == spelling_key(us.upper())


def test_spelling_key_keeps_distinct_headings_apart():
    assert spelling_key("Neoplasms") != spelling_key("Neoplasm")
    assert spelling_key("Hope") == "hope"


# ---------------------------------------------------------------------------- helpers


def test_tree_helpers():
    assert tree_ancestors("C04.557.465") == ("C04", "C04.557")
    assert tree_ancestors("C04.557.665.510") == ("C04", "C04.557", "C04.557.665")
    assert tree_ancestors("C04") == ()
    assert tree_category("C04.557.465") == "C"
    assert CATEGORY_NAMES[tree_category("D12.644.276.374.465.502")] == "Chemicals and Drugs"
    assert CATEGORY_NAMES["V"] == "Publication Characteristics"
    assert len(CATEGORY_NAMES) == 16
    assert tree_category("") == tree_category("X01") == ""


# ------------------------------------------------------- supplementary concept records


def test_supplementary_concept_records_xml():
    path = Path(__file__).parent / "data" / "records" / "supp-samples.subset.xml"
    with path.open("rb") as stream:
        aeron, ubenimex = parse_mesh_xml(stream, path.name)
    assert aeron == MeshDescriptor(
        ui="C025735",
        heading="Aeron",
        scope_note="contains scopolamine camphorate mixture with (-)-atropine camphorate",
        entry_terms=("Aeron",),
        tree_numbers=(),
        source="mesh-xml",
        mapped_to=("D001286", "D002164", "D004338", "D012602"),
    )
    assert (ubenimex.ui, ubenimex.heading, ubenimex.mapped_to) == (
        "C012211",
        "ubenimex",
        ("D007930",),
    )
    assert "bestatin" in ubenimex.entry_terms


def test_supplementary_concepts_never_take_a_tree_heading():
    scr = MeshDescriptor("C000001", "Neoplasms", "", ("Neoplasms",), (), "mesh-xml", ("D009369",))
    d = MeshDescriptor("D009369", "Neoplasms", "", ("Neoplasms",), (), "mesh-xml")
    merged, skipped = merge_mesh([scr, d, MeshTreeLine("Neoplasms", "C04")])
    assert skipped == []
    assert {m.ui: m.tree_numbers for m in merged} == {"C000001": (), "D009369": ("C04",)}


# ------------------------------------------------------------ bounded lines, checked ids


def test_trees_line_past_the_limit_is_skipped_never_held_or_quoted():
    lines = TREES.read_bytes().splitlines(keepends=True)
    lines_ = _parse(parse_mesh_trees, TREES.read_bytes())
    huge = b"X" * 50_000 + b";A01.111\n"
    limits = Limits(max_line=1_000)
    records = list(parse_mesh_trees(io.BytesIO(b"".join([*lines[:2], huge, *lines[2:]])),
                                    "mtrees", limits))  # fmt: skip
    assert records[2] == Skipped("mtrees", "line 3", "line longer than 1,000 bytes: skipped")
    assert len(records) == 144 and records[1:4:2] == [lines_[1], lines_[2]]
    with pytest.raises(SourceError, match="not a MeSH tree file") as info:
        list(parse_mesh_trees(io.BytesIO(huge + lines[0]), "mtrees", limits))
    assert "X" not in str(info.value)


def test_an_unjoined_tree_heading_is_quoted_short():
    heading = "Body Regions " * 100
    _, skipped = merge_mesh([MeshTreeLine(heading, "A01")])
    assert skipped[0].where == heading[:197] + "..."


def test_ascii_record_with_a_line_past_the_limit_is_skipped():
    text = gzip.decompress(ASCII.read_bytes())
    long_note = b"MS = " + b"word " * 1000 + b"\n"
    text = text.replace(b"UI = D000011\n", b"UI = D000011\n" + long_note, 1)
    records = list(parse_mesh_ascii(io.BytesIO(text), "d", Limits(max_line=1_000)))
    assert records[1] == Skipped(
        "d", "line 12", "line 20 is longer than 1,000 bytes: record skipped"
    )
    assert len(records) == 23 and records[2].ui == "D000740"


def test_bad_mesh_uis_are_skipped():
    text = gzip.decompress(ASCII.read_bytes()).replace(b"UI = D000011\n", b"UI = D11/..\n")
    records = _parse(parse_mesh_ascii, text, "d")
    assert records[1] == Skipped("d", "line 12", "MeSH UI 'D11/..' is not 'D' and 6 or 9 digits")
    data = XML.read_bytes().replace(b"<DescriptorUI>D005260", b"<DescriptorUI>D5260", 1)
    records = _parse(parse_mesh_xml, data, "desc.xml")
    assert records[1] == Skipped(
        "desc.xml", "line 394", "MeSH UI 'D5260' is not 'D' and 6 or 9 digits"
    )


def test_bad_supplementary_record_ui_is_skipped():
    path = Path(__file__).parent / "data" / "records" / "supp-samples.subset.xml"
    data = path.read_bytes().replace(b">C025735<", b">C025735&quot;<", 1)
    records = _parse(parse_mesh_xml, data, "supp.xml")
    assert records[0] == Skipped(
        "supp.xml", "line 2", "MeSH SCR UI 'C025735\"' is not 'C' and 6 or 9 digits"
    )
    assert records[1].ui == "C012211"
