"""bench/tune_nfcorpus.py (eval_nfcorpus.py's workers) switches the Whoosh backend's snippets
and suggestions off for speed and back on: on the modules that make them."""

from __future__ import annotations

from bench import tune_nfcorpus as tn
from search import snippets, spelling
from search.whoosh import engine, listing


def test_presentation_switches_the_whoosh_snippets_and_suggestions():
    record = {"type": "trial", "brief_summary": "Melanoma of the skin."}
    try:
        tn.presentation(False)
        assert listing.make_snippet(record, {"melanoma"}) == ""
        assert engine.suggest() is None
    finally:
        tn.presentation(True)
    assert listing.make_snippet is snippets.make_snippet
    assert engine.suggest is spelling.suggest
    assert "<mark>Melanoma</mark>" in listing.make_snippet(record, {"melanoma"})
