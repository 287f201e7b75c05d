"""The neutral query tree: normalization and the readable form."""

from search import querytree as qt

A, B, C = qt.Term("all", "a"), qt.Term("all", "b"), qt.Term("all", "c")


def test_normalize_flattens_dedups_and_unwraps():
    tree = qt.Or((qt.Or((A, B)), B, qt.NOTHING, qt.Or((C,))))
    assert qt.normalize(tree) == qt.Or((A, B, C))
    assert qt.normalize(qt.And((A,), boost=2.0)) == qt.Term("all", "a", 2.0)
    assert qt.normalize(qt.Or((qt.NOTHING,))) == qt.NOTHING
    nested = qt.Or((qt.Or((A, B), boost=2.0), C))
    assert qt.normalize(nested) == qt.Or((qt.Term("all", "a", 2.0), qt.Term("all", "b", 2.0), C))


def test_exclusions_of_nothing_and_from_nothing():
    assert qt.normalize(qt.AndNot(A, qt.NOTHING)) == A
    assert qt.normalize(qt.AndNot(qt.NOTHING, A)) == qt.NOTHING
    assert qt.normalize(qt.AndMaybe(A, qt.Or(()))) == A
    assert qt.normalize(qt.Phrase("all", ("a",))) == A
    assert qt.normalize(qt.Phrase("all", ())) == qt.NOTHING


def test_describe_and_terms():
    tree = qt.AndNot(qt.Or((A, qt.Phrase("all", ("b", "c")))), qt.Term("all", "d"))
    assert qt.describe(tree) == '((all:a OR all:"b c") ANDNOT all:d)'
    assert list(qt.positive_terms(tree)) == [("all", "a"), ("all", "b"), ("all", "c")]
    explode = qt.Prefix("mesh_tree", "C04.", 0.3, constant=True)
    assert qt.describe(qt.DisMax((explode, A))) == "DisMax(all:a mesh_tree:C04.*^0.3)"
