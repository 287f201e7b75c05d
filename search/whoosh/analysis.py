"""The biomedical analyzer (search/analysis.py) as a Whoosh Analyzer, for the Whoosh schema.

Whoosh pickles a schema's analyzers into the index, so this class's path is part of the index
format: an index written before the backend seam (search.analysis.BioAnalyzer) must be rebuilt.
"""

from __future__ import annotations

from whoosh.analysis import Analyzer

from search.analysis import BioAnalyzer


class WhooshBioAnalyzer(BioAnalyzer, Analyzer):
    """BioAnalyzer's tokens, seen by Whoosh as one of its own analyzers."""


def analyzer() -> WhooshBioAnalyzer:
    """The stemming analyzer of the schema's text fields."""
    return WhooshBioAnalyzer(stem=True)


def exact_analyzer() -> WhooshBioAnalyzer:
    """The same tokens without stemming: the spelling vocabulary."""
    return WhooshBioAnalyzer(stem=False)
