"""A plain BM25 for reference, in the same process as the engine: every document's whole text
as one bag of words (lower-cased, English stop words dropped, NLTK's Snowball stems, as the
issue's reference runs with bm25s did), Lucene's idf, k1 1.2, b 0.75. No fields, no MeSH, no
query logic: each query word adds its score. Written for the benchmark only (NumPy arrays).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
from nltk.stem.snowball import SnowballStemmer

from search import nltkdata
from search.scoring import idf

K1, B = 1.2, 0.75
_WORD = re.compile(r"[^\W_]+")


class PlainBM25:
    def __init__(self, docs: Iterable[tuple[str, str]], k1: float = K1, b: float = B) -> None:
        self.k1, self.b = k1, b
        self._stop = nltkdata.stopwords()
        self._stemmer = SnowballStemmer("english")
        self._stems: dict[str, str] = {}
        self.ids: list[str] = []
        lengths: list[int] = []
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for n, (doc_id, text) in enumerate(docs):
            self.ids.append(doc_id)
            words = self.tokens(text)
            lengths.append(len(words))
            for term, tf in Counter(words).items():
                docs_tf = postings.setdefault(term, ([], []))
                docs_tf[0].append(n)
                docs_tf[1].append(tf)
        self.lengths = np.asarray(lengths, dtype=np.float64)
        self.avg = float(self.lengths.mean()) if len(lengths) else 1.0
        self.postings = {
            t: (np.asarray(d, dtype=np.int64), np.asarray(tf, dtype=np.float64))
            for t, (d, tf) in postings.items()
        }

    def tokens(self, text: str) -> list[str]:
        out = []
        for w in _WORD.findall(text.lower()):
            if w in self._stop:
                continue
            s = self._stems.get(w)
            if s is None:
                s = self._stems[w] = self._stemmer.stem(w) if w.isalpha() else w
            out.append(s)
        return out

    def search(self, query: str, limit: int = 100) -> list[str]:
        """Document ids of the best `limit` documents with a query word, best first."""
        scores = self.scores(query)
        found = np.flatnonzero(scores > 0)
        order = found[np.lexsort((found, -scores[found]))][:limit]
        return [self.ids[i] for i in order]

    def scores(self, query: str) -> np.ndarray:
        """Every document's BM25 for `query` (0 without a query word)."""
        scores = np.zeros(len(self.ids))
        n = len(self.ids)
        for term in set(self.tokens(query)):
            hit = self.postings.get(term)
            if hit is None:
                continue
            docs, tf = hit
            norm = self.k1 * (1 - self.b + self.b * self.lengths[docs] / self.avg)
            scores[docs] += idf(n, len(docs)) * tf * (self.k1 + 1) / (tf + norm)
        return scores
