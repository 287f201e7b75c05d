"""ClinicalTrials.gov parsers (indexer.trials): legacy XML and API v2 JSON, on real records.

Expected values are copied from the fixture files (tests/data/trials/, see its README.md).
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
from pathlib import Path

import pytest

from indexer.errors import SourceError
from indexer.limits import Limits
from indexer.records import Intervention, Location, MeshTerm, Outcome, Reference, Skipped, Trial
from indexer.trials import NO_ID, json_next_page_token, parse_json, parse_legacy_xml
from indexer.trials_values import enum_value, iso_date

DATA = Path(__file__).parent / "data" / "trials"
RECORDS = Path(__file__).parent / "data" / "records"
BOTH = ("NCT00000410", "NCT00007696", "NCT00492635", "NCT00498680", "NCT00499317")


def xml_trial(path: Path) -> Trial:
    with path.open("rb") as stream:
        (trial,) = parse_legacy_xml(stream, str(path))
    assert isinstance(trial, Trial)
    return trial


def json_records(path: Path) -> list[Trial | Skipped]:
    with path.open("rb") as stream:
        return list(parse_json(stream, str(path)))


def collect(records, out: list) -> None:
    """Consume a parser's generator into `out` (so a test sees what came before an error)."""
    for record in records:
        out.append(record)


# ------------------------------------------------------------------------- legacy XML


def test_xml_study_exact_values():
    t = xml_trial(DATA / "both" / "xml" / "NCT00000410.xml")
    assert t.nct_id == "NCT00000410"
    assert t.brief_title == (
        "Spine Patient Outcomes Research Trial (SPORT) - Intervertebral Disc Herniation"
    )
    assert t.official_title == (
        "Spine Patient Outcomes Research Trial (SPORT): A Multicenter Randomized Trial for "
        "Intervertebral Disc Herniation (IDH)"
    )
    assert t.acronym == "SPORT"
    assert t.secondary_ids == ("U01AR045444",)  # <org_study_id> is not a secondary id
    assert t.brief_summary == (
        "This study tests the effectiveness of different treatments for the three most commonly "
        "diagnosed lumbar (lower) spine conditions. The purpose of the study is to learn which "
        "of two commonly prescribed treatments (surgery and non-surgical therapy) works better "
        "for specific types of low back pain.\n\n"
        "In this part of the study, people with lumbar intervertebral disc herniation (damage to "
        "the tissue between the bones of the lower spine, or backbone) will receive either "
        "discectomy (surgical removal of herniated disc material) or non-surgical treatment. "
        "This study does not cover the cost of treatment."
    )
    paragraphs = t.detailed_description.split("\n\n")
    assert len(paragraphs) == 5
    assert paragraphs[0].startswith("Low back pain is considered one of the most widely")
    assert paragraphs[4].endswith("three most commonly diagnosed lumbar spine conditions.")
    assert t.conditions == ("Herniated Disc", "Low Back Pain")
    assert t.keywords == (
        "Intervertebral disc herniation (IDH)",
        "Stenosis with degenerative spondylolisthesis (DS)",
        "Spinal stenosis (SpS)",
        "Low back pain (LBP)",
        "Leg pain",
        "Surgical therapy",
        "Non-surgical therapy",
        "Randomized study",
        "Multicenter",
        "MRI",
    )
    assert t.interventions == (
        Intervention("PROCEDURE", "Diskectomy"),
        Intervention("PROCEDURE", "Non-surgical treatments"),
    )
    assert t.condition_mesh == (
        MeshTerm("", "Intervertebral Disc Displacement"),
        MeshTerm("", "Back Pain"),
        MeshTerm("", "Low Back Pain"),
        MeshTerm("", "Hernia"),
    )
    assert t.condition_mesh_ancestors == t.intervention_mesh == ()
    assert t.intervention_mesh_ancestors == ()
    assert t.phases == ("PHASE4",)
    assert t.study_type == "INTERVENTIONAL"
    assert t.overall_status == "COMPLETED"
    assert (t.start_date, t.primary_completion_date, t.completion_date) == (
        "2000-03",
        "2015-04",
        "2015-04",
    )
    assert (t.first_posted_date, t.last_update_date) == ("1999-11-04", "2015-08-04")
    assert (t.enrollment, t.enrollment_type) == (501, "ACTUAL")
    assert (t.lead_sponsor, t.lead_sponsor_class) == ("Dartmouth-Hitchcock Medical Center", "OTHER")
    assert t.collaborators == (
        "National Institute of Arthritis and Musculoskeletal and Skin Diseases (NIAMS)",
        "National Institute for Occupational Safety and Health (NIOSH/CDC)",
        "Office of Research on Women's Health (ORWH)",
    )
    assert len(t.locations) == 13
    assert t.locations[0] == Location(
        "Kaiser Permanente Spine Care Program", "Oakland", "California", "United States"
    )
    assert t.locations[4] == Location(
        "Maine Spine & Rehabilitation", "Scarborough", "Maine", "United States"
    )
    assert t.eligibility_criteria.startswith(
        "Inclusion Criteria:\n\n"
        "* Duration of symptoms: 6 or more weeks.\n"
        "* Treatments tried: Non-steroidal anti-inflammatory medical therapy and physical "
        "therapy.\n"
    )
    assert t.eligibility_criteria.endswith(
        '* Symptoms less than 6 weeks.\n* Patient currently enrolled in any experimental "spine '
        'related" study.'
    )
    assert "\n\nExclusion Criteria:\n\n* Previous lumbar spine surgery.\n" in t.eligibility_criteria
    assert (t.sex, t.minimum_age, t.maximum_age, t.healthy_volunteers) == (
        "ALL",
        "18 Years",
        "",  # "N/A"
        False,
    )
    assert (t.allocation, t.intervention_model, t.masking, t.primary_purpose) == (
        "RANDOMIZED",
        "PARALLEL",
        "NONE",  # "None (Open Label)"
        "TREATMENT",
    )
    assert t.primary_outcomes == (
        Outcome(
            "Changes in health-related quality of life as measured by the SF-36 health status "
            "questionnaire",
            "Baseline, 6 wks, 3 and 6 mos, Annually thereafter",
            "",
        ),
    )
    assert [(r.pmid, r.type) for r in t.references] == [
        ("12065987", "BACKGROUND"),
        ("10787504", "BACKGROUND"),
        ("14520044", "BACKGROUND"),
        ("12897482", "BACKGROUND"),
        ("12642770", "BACKGROUND"),
        ("17119141", "RESULT"),
        ("17119140", "RESULT"),
        ("19018250", "RESULT"),
        ("18777603", "RESULT"),
        ("22048651", "RESULT"),
    ]
    assert t.references[0].citation == (
        "Birkmeyer NJ, Weinstein JN, Tosteson AN, Tosteson TD, Skinner JS, Lurie JD, Deyo R, "
        "Wennberg JE. Design of the Spine Patient outcomes Research Trial (SPORT). Spine (Phila "
        "Pa 1976). 2002 Jun 15;27(12):1361-72. doi: 10.1097/00007632-200206150-00020."
    )
    assert t.has_results is False
    assert (t.snapshot_date, t.source) == ("2023-02-03", "ctgov-xml")


def test_xml_melanoma_interleukin2_study():
    t = xml_trial(DATA / "xml" / "NCT00002845.xml")
    assert t.brief_title == "Interleukin-2 in Treating Patients With Metastatic Melanoma"
    assert t.secondary_ids == ("CMC-09-95-16B", "NCI-V96-1037")
    assert t.interventions == (Intervention("BIOLOGICAL", "aldesleukin"),)
    assert t.condition_mesh == (MeshTerm("", "Melanoma"),)
    assert t.intervention_mesh == (MeshTerm("", "Aldesleukin"),)
    assert t.conditions == ("Melanoma (Skin)",)
    assert t.overall_status == "UNKNOWN"  # "Unknown status"
    assert (t.start_date, t.completion_date, t.primary_completion_date) == ("1995-09", "", "")
    assert (t.enrollment, t.enrollment_type) == (20, "ESTIMATED")  # type="Anticipated"
    assert (t.allocation, t.masking, t.primary_purpose) == ("", "", "TREATMENT")
    assert t.primary_outcomes == t.references == ()
    # hard-wrapped XML lines are joined back into their paragraph
    assert t.eligibility_criteria.split("\n\n") == [
        "DISEASE CHARACTERISTICS: Histologically proven melanoma that is metastatic No tumor "
        "replacement of 25% or more of liver on CT or MRI No involvement of the CNS or a major "
        "nerve Measurable disease required",
        "PATIENT CHARACTERISTICS: Age: 18 and over Performance status: Karnofsky 80%-100% Life "
        "expectancy: More than 3 months Hematopoietic: No coagulopathy (i.e., platelets less than "
        "80,000) Hepatic: Bilirubin normal Renal: Creatinine normal Cardiovascular: No abnormal "
        "cardiac stress test in patients over 50 years of age or with possible cardiac disease "
        "suggested by history, physical exam, or EKG Pulmonary: FEV1 or VC greater than 65% of "
        "predicted in patients with significant smoking history or with suspected pulmonary "
        "disease by history, physical exam, or x-ray Other: No site of ongoing bleeding No "
        "systemic infection No HIV antibody No HBsAg No requirement for steroids No psychiatric "
        "disease that precludes informed consent or protocol treatment No second malignancy "
        "except: Basal cell skin carcinoma Carcinoma in situ of the cervix No pregnant or nursing "
        "women Negative pregnancy test required of fertile women Effective contraception "
        "required of fertile women",
        "PRIOR CONCURRENT THERAPY: No prior interleukin-2 At least 28 days since treatment for "
        "melanoma",
    ]
    assert t.locations == (
        Location("Carolinas Medical Center", "Charlotte", "North Carolina", "United States"),
    )


def test_xml_list_items_become_markdown_items():
    t = xml_trial(DATA / "xml" / "NCT00006022.xml")
    assert t.detailed_description.startswith(
        "OBJECTIVES:\n\n"
        "* Determine the dose of bryostatin 1 that, when administered in conjunction with "
        "low-dose interleukin-2, maximizes in vitro interleukin-2- stimulated peripheral blood "
        "stem cell proliferation in patients with melanoma or renal cell carcinoma.\n"
        "* Assess other intermediate markers of immune response in patients treated with this "
        "regimen.\n"
        "* Determine tumor responses, response durations, progression-free intervals, and "
        "survival of patients treated with this regimen.\n\n"
        "OUTLINE: This is a randomized, double-blind study."
    )
    assert (t.masking, t.intervention_model, t.allocation) == ("DOUBLE", "FACTORIAL", "RANDOMIZED")
    assert t.collaborators == ("National Cancer Institute (NCI)",)
    assert (t.enrollment, t.completion_date, t.primary_completion_date) == (
        17,
        "2004-01",
        "2003-10",
    )


@pytest.mark.parametrize(
    ("nct_id", "expected"),
    [
        ("NCT00002786", {"phases": ("PHASE1", "PHASE2"), "lead_sponsor_class": "OTHER"}),
        ("NCT00003222", {"has_results": True, "enrollment": 40, "masking": "NONE"}),
        ("NCT00499499", {"overall_status": "SUSPENDED", "lead_sponsor_class": "INDUSTRY"}),
        ("NCT00499499", {"completion_date": "2010-08", "enrollment_type": "ESTIMATED"}),
        ("NCT00499499", {"allocation": "NON_RANDOMIZED", "intervention_model": "SINGLE_GROUP"}),
        ("NCT00001920", {"healthy_volunteers": True, "study_type": "OBSERVATIONAL"}),
        ("NCT00001920", {"completion_date": "2010-06-02", "phases": ()}),
        ("NCT00005182", {"sex": "MALE", "enrollment": 50000, "lead_sponsor_class": "OTHER"}),
        ("NCT00004216", {"lead_sponsor_class": "INDUSTRY", "phases": ("PHASE1",)}),
        ("NCT00004988", {"lead_sponsor_class": "NIH", "enrollment": 45, "enrollment_type": ""}),
    ],
)
def test_xml_normalized_values(nct_id, expected):
    t = xml_trial(DATA / "xml" / f"{nct_id}.xml")
    assert {field: getattr(t, field) for field in expected} == expected


@pytest.mark.parametrize(
    ("nct_id", "pmid"),
    [("NCT00462995", "16014882"), ("NCT00005182", "8320406"), ("NCT00001920", "8786457")],
)
def test_xml_reference_pmids(nct_id, pmid):
    refs = xml_trial(DATA / "xml" / f"{nct_id}.xml").references
    assert Reference(pmid, "BACKGROUND", next(r.citation for r in refs if r.pmid == pmid)) in refs


def test_xml_results_references():
    refs = xml_trial(DATA / "xml" / "NCT00003117.xml").references
    assert [(r.pmid, r.type) for r in refs if r.type == "RESULT"] == [
        ("15625373", "RESULT"),
        ("", "RESULT"),  # a results_reference without <PMID>
    ]
    assert refs[-1].citation.startswith("Lilenbaum RC, Herndon J, List M, et al.: Single-agent")
    results = xml_trial(DATA / "xml" / "NCT00003222.xml").references
    assert ("14581425", "RESULT") in [(r.pmid, r.type) for r in results]


def test_xml_from_a_gzip_stream(tmp_path):
    plain = DATA / "xml" / "NCT00003222.xml"
    packed = tmp_path / "NCT00003222.xml.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    with gzip.open(packed, "rb") as stream:
        assert list(parse_legacy_xml(stream, str(packed))) == [xml_trial(plain)]


def test_xml_without_nct_id_is_skipped(tmp_path):
    path = tmp_path / "no_id.xml"
    raw = (DATA / "xml" / "NCT00002845.xml").read_bytes()
    path.write_bytes(raw.replace(b"<nct_id>NCT00002845</nct_id>", b""))
    with path.open("rb") as stream:
        assert list(parse_legacy_xml(stream, str(path))) == [Skipped(str(path), "", NO_ID)]


def test_xml_truncated_is_a_source_error(tmp_path):
    path = tmp_path / "truncated.xml"
    path.write_bytes((DATA / "xml" / "NCT00002845.xml").read_bytes()[:3000])
    seen: list = []
    with path.open("rb") as stream, pytest.raises(SourceError) as info:
        collect(parse_legacy_xml(stream, str(path)), seen)
    assert seen == []  # one study a document: nothing came before the break
    assert info.value.path == str(path)
    assert info.value.reason.startswith("malformed XML: ")
    assert info.value.where.startswith("line ")


def test_xml_other_root_is_a_source_error(tmp_path):
    path = tmp_path / "other.xml"
    raw = (DATA / "xml" / "NCT00002845.xml").read_bytes()
    path.write_bytes(raw.replace(b"clinical_study>", b"study_record>"))
    with path.open("rb") as stream, pytest.raises(SourceError, match="<study_record>"):
        list(parse_legacy_xml(stream, str(path)))


# ----------------------------------------------------------------------- API v2 JSON


def test_json_study_exact_values():
    records = json_records(DATA / "json" / "array.json")
    t = records[0]
    assert isinstance(t, Trial)
    description = t.detailed_description.split("\n\n")
    assert len(description) == 6
    assert description[0] == (
        "Herniated lumbar discs exert pressure on nerves in the spine leading to pain, numbness, "
        'tingling and weakness of the leg, sometimes termed "sciatica". This syndrome affects '
        "about 1-2% of the population, usually at the age of 30 to 50 (the prime working years) "
        "leading to significant economic impact."
    )
    criteria = t.eligibility_criteria
    assert criteria.startswith(
        "Inclusion Criteria:\n\n* Men and women with diagnosis of herniated lumbar disc with "
        "nerve root compression, up to 3 months from beginning of symptoms.\n"
        "* Participants' age: 18 - 75 years.\n"
    )
    assert criteria.endswith(
        "* Women who are pregnant or breast feeding.\n"
        "* Participants participating in other clinical trials."
    )
    expected = Trial(
        nct_id="NCT00405041",
        brief_title="Randomized Controlled Study to Assess the Efficacy of a Dietary Ingredient "
        "in Patients With Herniated Lumbar Disc Compression",
        official_title="A Two-Center, Phase II/III, Randomized, Double-Blind, Placebo-Controlled, "
        "Study, to Assess the Therapeutic Efficacy of a Dietary Ingredient in Patients With "
        "Herniated Lumbar Disc Causing Nerve Root Compression",
        acronym="",
        secondary_ids=("107/06",),
        brief_summary="The objective of the study is to evaluate the efficacy of a "
        "neuroprotective dietary supplement in patients suffering from herniated lumbar disc "
        "causing nerve root compression.",
        detailed_description=t.detailed_description,  # checked above
        conditions=("Herniated Disc",),
        keywords=(),
        interventions=(Intervention("DIETARY_SUPPLEMENT", "Dietary supplement GVG 2"),),
        condition_mesh=(MeshTerm("D007405", "Intervertebral Disc Displacement"),),
        condition_mesh_ancestors=(
            MeshTerm("D013122", "Spinal Diseases"),
            MeshTerm("D001847", "Bone Diseases"),
            MeshTerm("D009140", "Musculoskeletal Diseases"),
            MeshTerm("D006547", "Hernia"),
            MeshTerm("D020763", "Pathological Conditions, Anatomical"),
        ),
        intervention_mesh=(),
        intervention_mesh_ancestors=(),
        phases=("PHASE2", "PHASE3"),
        study_type="INTERVENTIONAL",
        overall_status="COMPLETED",
        start_date="2006-11",
        primary_completion_date="2008-03",
        completion_date="2008-04",
        first_posted_date="2006-11-29",
        last_update_date="2008-04-10",
        enrollment=79,
        enrollment_type="ACTUAL",
        lead_sponsor="Tel-Aviv Sourasky Medical Center",
        lead_sponsor_class="OTHER_GOV",
        collaborators=("Assaf-Harofeh Medical Center",),
        locations=(Location("Tel Aviv Souraski Medical Center", "Tel Aviv", "", "Israel"),),
        eligibility_criteria=criteria,  # checked above
        sex="ALL",
        minimum_age="18 Years",
        maximum_age="75 Years",
        healthy_volunteers=False,
        allocation="RANDOMIZED",
        intervention_model="PARALLEL",
        masking="TRIPLE",
        primary_purpose="TREATMENT",
        primary_outcomes=(
            Outcome(
                "Measurements of herniated lumbar disc-related symptoms including sensorimotor "
                "neurological functions and pain sensations. And measurements of general quality "
                "of life based on the SF-36 questionnaire.",
                "Within 14 days of treatment and follow-up at 30 and 60 days after treatment",
                "",
            ),
        ),
        references=(
            Reference(
                "20447305",
                "DERIVED",
                "Keynan O, Mirovsky Y, Dekel S, Gilad VH, Gilad GM. Safety and Efficacy of "
                "Dietary Agmatine Sulfate in Lumbar Disc-associated Radiculopathy. An Open-label, "
                "Dose-escalating Study Followed by a Randomized, Double-blind, Placebo-controlled "
                "Trial. Pain Med. 2010 Mar;11(3):356-68. doi: 10.1111/j.1526-4637.2010.00808.x.",
            ),
        ),
        has_results=False,
        snapshot_date="2024-12-16",
        source="ctgov-json",
    )
    assert t == expected


def test_json_single_study_object():
    (t,) = json_records(DATA / "json" / "NCT00042536.json")
    assert t.nct_id == "NCT00042536"
    assert t.secondary_ids == ("02-M-0262",)
    assert (t.study_type, t.enrollment, t.enrollment_type, t.phases) == (
        "OBSERVATIONAL",
        40,
        "",
        (),
    )
    assert (t.sex, t.healthy_volunteers, t.minimum_age) == ("MALE", True, "")
    assert t.lead_sponsor_class == "NIH"
    assert t.intervention_mesh == (
        MeshTerm("D000009271", "Naltrexone"),  # this snapshot pads MeSH UIs to 9 digits
        MeshTerm("D000015016", "Yohimbine"),
    )
    assert t.intervention_mesh_ancestors[0] == MeshTerm("D000000427", "Alcohol Deterrents")
    assert len(t.intervention_mesh_ancestors) == 14
    assert [r.pmid for r in t.references] == ["8510302", "8254833", "11306400"]
    assert t.locations == (
        Location(
            "National Institute of Mental Health (NIMH)", "Bethesda", "Maryland", "United States"
        ),
    )
    assert t.eligibility_criteria.startswith("INCLUSION CRITERIA\n\nSubjects must be medically")
    (with_results,) = json_records(DATA / "json" / "NCT00731666.json")
    assert with_results.has_results is True


def test_json_bare_array():
    records = json_records(DATA / "json" / "array.json")
    assert [r.nct_id for r in records] == [
        "NCT00405041",
        "NCT04520009",
        "NCT03300089",
        "NCT02120703",
    ]
    assert records[1].has_results is True
    assert {r.snapshot_date for r in records} == {"2024-12-16"}


def test_json_api_page():
    path = DATA / "json" / "api_page.json"
    records = json_records(path)
    assert [r.nct_id for r in records] == ["NCT03937544", "NCT05519384"]
    assert records[0].phases == ("PHASE2", "PHASE3")
    assert records[1].phases == ("EARLY_PHASE1",)
    assert {r.snapshot_date for r in records} == {"2023-11-07"}
    page = json.loads(path.read_bytes())
    assert json_next_page_token(page) == "FIXTURE-TOKEN-NOT-FROM-THE-API"
    assert json_next_page_token({"studies": []}) == ""


def test_json_markdown_escapes_are_removed():
    (t,) = json_records(DATA / "both" / "json" / "NCT00492635.json")
    assert "* Life expectancy <3 years\n" in t.eligibility_criteria  # "\\<3" in the file


def test_json_study_without_nct_id_is_skipped(tmp_path):
    studies = json.loads((DATA / "json" / "array.json").read_bytes())
    del studies[1]["protocolSection"]["identificationModule"]["nctId"]
    path = tmp_path / "no_id.json"
    path.write_text(json.dumps(studies, indent=2), encoding="utf-8")
    starts = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line == "  {"]
    records = json_records(path)
    assert records[1] == Skipped(str(path), f"line {starts[1]}", NO_ID)
    assert [r.nct_id for r in records if isinstance(r, Trial)] == [
        "NCT00405041",
        "NCT03300089",
        "NCT02120703",
    ]


def test_json_truncated_array_yields_the_studies_before_the_break(tmp_path):
    raw = (DATA / "json" / "array.json").read_bytes()
    path = tmp_path / "truncated.json"
    path.write_bytes(raw[: raw.index(b'"nctId": "NCT03300089"')])
    seen: list = []
    with path.open("rb") as stream, pytest.raises(SourceError) as info:
        collect(parse_json(stream, str(path)), seen)
    assert [t.nct_id for t in seen] == ["NCT00405041", "NCT04520009"]
    assert info.value.reason.startswith("malformed JSON: ")
    line = raw[: raw.index(b'"nctId": "NCT03300089"')].count(b"\n") + 1
    assert info.value.where == f"line {line}"


def test_json_truncated_object_is_a_source_error(tmp_path):
    path = tmp_path / "truncated.json"
    path.write_bytes((DATA / "json" / "NCT00042536.json").read_bytes()[:5000])
    with path.open("rb") as stream, pytest.raises(SourceError, match="malformed JSON") as info:
        list(parse_json(stream, str(path)))
    assert info.value.where == "line 1"


def test_json_trailing_garbage_after_array(tmp_path):
    path = tmp_path / "extra.json"
    path.write_bytes((DATA / "json" / "array.json").read_bytes() + b"]\n")
    seen: list = []
    with path.open("rb") as stream, pytest.raises(SourceError, match="extra data"):
        collect(parse_json(stream, str(path)), seen)
    assert len(seen) == 4


def test_json_unknown_shape_is_a_source_error(tmp_path):
    study = json.loads((DATA / "json" / "NCT00042536.json").read_bytes())
    path = tmp_path / "derived_only.json"
    path.write_text(json.dumps({"derivedSection": study["derivedSection"]}), encoding="utf-8")
    with path.open("rb") as stream, pytest.raises(SourceError, match="unknown JSON shape"):
        list(parse_json(stream, str(path)))


def test_json_not_utf8_is_a_source_error(tmp_path):
    path = tmp_path / "utf16.json"
    path.write_bytes((DATA / "json" / "NCT00042536.json").read_text().encode("utf-16"))
    with path.open("rb") as stream, pytest.raises(SourceError, match="not UTF-8"):
        list(parse_json(stream, str(path)))


def test_json_from_a_non_seekable_stream():
    raw = (DATA / "json" / "array.json").read_bytes()

    class OneWay(io.RawIOBase):
        def __init__(self) -> None:
            self.rest = raw

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            n = min(len(buffer), len(self.rest), 4096)
            buffer[:n], self.rest = self.rest[:n], self.rest[n:]
            return n

    records = list(parse_json(io.BufferedReader(OneWay()), "stream"))
    assert records == json_records(DATA / "json" / "array.json")


# ------------------------------------------------------------------------ both formats

# What the two formats of one study genuinely differ on (every other field must be equal):
# * source: "ctgov-xml" / "ctgov-json";
# * snapshot_date: the XML was produced on 2023-02-03, each JSON on its versionHolder date;
# * MeSH: the legacy XML gives terms without UI and no ancestors; the JSON gives UIs and
#   ancestors (both compared by term, in order);
# * references: the legacy XML holds BACKGROUND (<reference>) and RESULT
#   (<results_reference>) only; DERIVED references (linked by NLM from PubMed) are absent
#   from it, and nothing in it marks a reference as derived;
# * fields the study's record changed between the two snapshots (SNAPSHOT_CHANGES).
SNAPSHOT_DATES = {
    "NCT00000410": "2024-12-16",
    "NCT00007696": "2024-06-14",
    "NCT00492635": "2024-09-24",
    "NCT00498680": "2024-09-24",
    "NCT00499317": "2024-09-24",
}
SNAPSHOT_CHANGES = {"NCT00499317": {"last_update_date": ("2022-06-10", "2023-08-14")}}
MESH_FIELDS = ("condition_mesh", "intervention_mesh")
ANCESTOR_FIELDS = ("condition_mesh_ancestors", "intervention_mesh_ancestors")


@pytest.mark.parametrize("nct_id", BOTH)
def test_both_formats_give_the_same_record(nct_id):
    x = xml_trial(DATA / "both" / "xml" / f"{nct_id}.xml")
    (j,) = json_records(DATA / "both" / "json" / f"{nct_id}.json")
    assert (x.source, j.source) == ("ctgov-xml", "ctgov-json")
    assert (x.snapshot_date, j.snapshot_date) == ("2023-02-03", SNAPSHOT_DATES[nct_id])
    for field in MESH_FIELDS:
        assert {m.ui for m in getattr(x, field)} <= {""}
        assert all(m.ui for m in getattr(j, field))
        assert [m.term for m in getattr(x, field)] == [m.term for m in getattr(j, field)]
    for field in ANCESTOR_FIELDS:
        assert getattr(x, field) == ()
    assert x.references == tuple(r for r in j.references if r.type != "DERIVED")
    changes = SNAPSHOT_CHANGES.get(nct_id, {})
    for field, (in_xml, in_json) in changes.items():
        assert (getattr(x, field), getattr(j, field)) == (in_xml, in_json)
    differ = {"source", "snapshot_date", "references", *MESH_FIELDS, *ANCESTOR_FIELDS, *changes}
    for f in dataclasses.fields(Trial):
        if f.name not in differ:
            assert getattr(x, f.name) == getattr(j, f.name), f.name


def test_derived_references_exist_only_in_json():
    (j,) = json_records(DATA / "both" / "json" / "NCT00000410.json")
    assert [r.pmid for r in j.references if r.type == "DERIVED"] == [
        "22791040",
        "21971123",
        "21311402",
    ]


# ------------------------------------------------------------------ normalization helpers


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("January 2005", "2005-01"),
        ("January 15, 2005", "2005-01-15"),
        ("November 4, 1999", "1999-11-04"),
        ("2005-01", "2005-01"),
        ("2024-09-24", "2024-09-24"),
        ("", ""),
    ],
)
def test_iso_date(raw, iso):
    assert iso_date(raw) == iso


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Active, not recruiting", "ACTIVE_NOT_RECRUITING"),
        ("Enrolling by invitation", "ENROLLING_BY_INVITATION"),
        ("No longer available", "NO_LONGER_AVAILABLE"),
        ("Dietary Supplement", "DIETARY_SUPPLEMENT"),
        ("Diagnostic Test", "DIAGNOSTIC_TEST"),
        ("Health Services Research", "HEALTH_SERVICES_RESEARCH"),
        ("PHASE2", "PHASE2"),
        ("", ""),
    ],
)
def test_unknown_enum_values_are_upper_snaked(raw, value):
    assert enum_value(raw) == value


# ------------------------------------------------------- outcomes and sites (issue 14)


def test_secondary_outcomes_json():
    (t,) = json_records(RECORDS / "NCT02856893.json")
    assert len(t.primary_outcomes) == 1
    assert len(t.secondary_outcomes) == 8
    assert t.secondary_outcomes[0].measure == (
        "PFS While Receiving Osimertinib by RECIST Criteria 1.1"
    )
    assert t.other_outcomes == ()


def test_secondary_outcomes_xml():
    t = xml_trial(DATA / "xml" / "NCT00462995.xml")
    assert t.secondary_outcomes == (
        Outcome(
            measure="response rate, stable disease rate evaluated by RECIST criteria, median "
            "overall and disease-free survival time, 1-year overall and disease-free survival "
            "rate, toxicity and time to disease progression",
            time_frame="Baseline, 2weeks, 4weeks and 30 days after surgery",
            description="",
        ),
    )


def test_site_status_in_both_formats():
    x = xml_trial(DATA / "both" / "xml" / "NCT00499317.xml")
    assert x.locations[0] == Location(
        "Boston Children's Hospital (BCH)", "Boston", "Massachusetts", "United States",
        "RECRUITING",
    )  # fmt: skip
    page = json_records(DATA / "json" / "api_page.json")
    assert page[0].locations == (
        Location(
            "UKM Medical Centre", "Bandar Tun Razak", "Kuala Lumpur", "Malaysia", "RECRUITING"
        ),
    )
    (t,) = json_records(RECORDS / "NCT02856893.json")
    assert {loc.status for loc in t.locations} == {""}  # not published for this study


def test_xml_with_a_bad_nct_id_is_skipped(tmp_path):
    path = tmp_path / "bad_id.xml"
    raw = (DATA / "xml" / "NCT00002845.xml").read_bytes()
    path.write_bytes(
        raw.replace(b"<nct_id>NCT00002845</nct_id>", b"<nct_id>NCT2845&quot;</nct_id>")
    )
    with path.open("rb") as stream:
        assert list(parse_legacy_xml(stream, str(path))) == [
            Skipped(str(path), "", "NCT id 'NCT2845\"' is not 'NCT' and 8 digits")
        ]


def test_xml_handled_element_past_the_record_limit_ends_the_file(tmp_path):
    raw = (DATA / "xml" / "NCT00002845.xml").read_bytes()
    junk = b"<x>y</x>" * 5_000  # inside <location>, which is kept until it ends
    path = tmp_path / "big.xml"
    path.write_bytes(raw.replace(b"<location>", b"<location>" + junk, 1))
    with path.open("rb") as stream, pytest.raises(SourceError) as info:
        list(parse_legacy_xml(stream, str(path), Limits(max_xml_record=16 << 10)))
    assert info.value.reason == "<location>: record longer than 16 KiB"
    with path.open("rb") as stream:  # within the default limits it is read
        [trial] = parse_legacy_xml(stream, str(path))
    assert trial.nct_id == "NCT00002845"


def test_json_study_past_the_record_limit_ends_the_file(tmp_path):
    limits = Limits(max_json_record=8 << 10)
    for name in ("array.json", "NCT00042536.json", "api_page.json"):
        with (DATA / "json" / name).open("rb") as stream, pytest.raises(SourceError) as info:
            list(parse_json(stream, name, limits))
        assert "longer than 8 KiB" in info.value.reason


def test_json_deep_nesting_is_a_source_error():
    for doc in (b"[" * 100_000, b'{"protocolSection": ' + b"[" * 100_000):
        with pytest.raises(SourceError, match="nested too deeply to read"):
            list(parse_json(io.BytesIO(doc + b"]" * 100_000), "deep.json"))


def test_json_api_page_studies_are_streamed_wherever_the_member_is():
    page = json.loads((DATA / "json" / "api_page.json").read_bytes())
    reordered = {"nextPageToken": "T", "totalCount": 2, "studies": page["studies"]}
    records = list(parse_json(io.BytesIO(json.dumps(reordered, indent=1).encode()), "p"))
    assert [r.nct_id for r in records] == ["NCT03937544", "NCT05519384"]
