"""A DisjunctionMax that scores correctly.

whoosh3 3.54.0's DisjunctionMaxMatcher.score() takes the max over both sub-matchers even when
they sit on different documents, so a document gets the score of another one (seen: a trial
without the word "breast" scored 4.353 because another record matched "breast neoplasm"), and
its replace() drops the whole matcher when only one side is exhausted. This module fixes both
for our use: the best-scoring alternative of a MeSH concept (expansion.py).
"""

from __future__ import annotations

from whoosh import matching
from whoosh import query as wq
from whoosh.matching import mcore


class _DisMaxMatcher(matching.DisjunctionMaxMatcher):
    def score(self) -> float:
        a, b = self.a, self.b
        if not a.is_active():
            return b.score()
        if not b.is_active():
            return a.score()
        a_id, b_id = a.id(), b.id()
        if a_id == b_id:
            return max(a.score(), b.score())
        return a.score() if a_id < b_id else b.score()

    def replace(self, minquality: float = 0) -> mcore.Matcher:
        a, b = self.a, self.b
        if not a.is_active() and not b.is_active():
            return mcore.NullMatcher()
        if not a.is_active():
            return b.replace(minquality)
        if not b.is_active():
            return a.replace(minquality)
        if minquality and max(a.max_quality(), b.max_quality()) < minquality:
            return mcore.NullMatcher()
        return self

    def copy(self) -> _DisMaxMatcher:
        return self.__class__(self.a.copy(), self.b.copy(), tiebreak=self.tiebreak)


class DisMax(wq.DisjunctionMax):
    """DisjunctionMax with the fixed matcher: each document scores its best alternative."""

    def _matcher(self, subs, searcher, context):  # noqa: ANN001 - Whoosh's signature
        reader = searcher.reader()
        return self._tree_matcher(
            subs,
            _DisMaxMatcher,
            searcher,
            context,
            lambda q: q.estimate_size(reader),
            tiebreak=self.tiebreak,
        )
