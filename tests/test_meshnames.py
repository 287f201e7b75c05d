"""The one MeSH name -> UI rule (search/meshnames.py), on real descriptors' names."""

from search.meshnames import Named, best_ui, ranked_uis, surface

# Names of real MeSH 2014 descriptors (../shared/data/mesh/derived/d2014.en_gb.bin.gz).
MI = Named("D009203", "Myocardial Infarction", ("Infarction, Myocardial", "Myocardial Infarcts"))
DIABETES = Named("D003920", "Diabetes Mellitus", ("Diabetes Mellitus",))
CARBUTAMIDE = Named("D002271", "Carbutamide", ("Diabetal", "Glucidoral"))
ORGANIZATIONS = Named("D009938", "Organizations", ("Organization", "Nongovernmental Organization"))


def test_surface_is_case_order_and_plural_free_but_not_a_stem():
    """Keys are stems elsewhere, so 'diabetes' meets the drug entry term 'Diabetal' and
    'organic' meets 'Organization'; a name is the phrase itself up to case, order, plural."""
    assert surface("Infarctions, Myocardial") == surface("myocardial infarction")
    assert surface("diabetes") != surface("Diabetal")
    assert surface("organic") != surface("Organization")


def test_a_name_finds_its_descriptor_whatever_the_order_and_case():
    assert best_ui("myocardial infarctions", [DIABETES, MI]) == "D009203"
    assert best_ui("myocardial infarct", [MI]) == "D009203"
    assert best_ui("organic", [ORGANIZATIONS]) == ""
    assert best_ui("diabetes", [CARBUTAMIDE, DIABETES]) == ""
    assert best_ui("diabetal", [CARBUTAMIDE, DIABETES]) == "D002271"


def test_heading_beats_entry_term_and_ties_go_by_ui_not_by_order():
    """Real MeSH never gives one name to two descriptors, but an update's new descriptors
    meet the index's old ones (a renamed heading lives on as an entry term): the rule, not
    the reading order, decides. Names here are the rule's input, not records."""
    old = Named("D003920", "Diabetes Mellitus", ("Diabetes Mellitus",))
    renamed = Named("D000001", "Diabetes", ("Diabetes Mellitus",))
    assert ranked_uis("Diabetes Mellitus", [renamed, old]) == ["D003920", "D000001"]
    assert ranked_uis("Diabetes Mellitus", [old, renamed]) == ["D003920", "D000001"]
    twin = Named("D000002", "Other", ("Diabetes Mellitus",))
    assert ranked_uis("diabetes mellitus", [renamed, twin, old]) == [
        "D003920",
        "D000001",
        "D000002",
    ]


def test_as_written_beats_reordered():
    reordered = Named("D000003", "Infarction Myocardial", ())
    assert ranked_uis("myocardial infarction", [reordered, MI]) == ["D009203", "D000003"]
    assert ranked_uis("Infarctions, Myocardial", [reordered, MI]) == ["D000003", "D009203"]
