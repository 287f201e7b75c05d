"""Similarity between records: the MeSH descriptors they share, each weighted by how specific it
is (rare among the records of the wanted type, deep in the tree), blended with text similarity
from the record's key terms (title words weigh most; authors, journals and ids are left out).

One record's lookup is a handful of index look-ups, never a walk over the records: one cached
bitset per descriptor and per key term give the candidate pool (records sharing a descriptor or
having 2 of the 10 leading key terms), a first score for each candidate and the reasons; then
only the best `rerank` x limit candidates get their exact BM25F, read from the postings at
those records.

    score = MESH_SHARE * (sum of shared descriptor weights / sum of the record's weights)
          + (1 - MESH_SHARE) * (BM25F of the key terms / its upper bound)
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from search import fields as f
from search.analysis import analyzer
from search.bitsets import iter_bits
from search.facets import CHECK_TAGS
from search.models import Descriptor
from search.related_mesh import MeshBook
from search.scoring import idf, saturated_tf
from search.view import IndexView

_ANALYZER = analyzer()  # the text fields' analyzer: key terms are terms as indexed


@dataclass(frozen=True, slots=True)
class Tuning:
    """The knobs of the similarity score (defaults tuned with bench/related.py)."""

    mesh_share: float = 0.2  # weight of shared MeSH against text in the blend
    key_terms: int = 20  # words of the record searched for
    pool_terms: int = 10  # leading key terms that define the candidate pool ...
    pool_min_match: int = 2  # ... a candidate must have this many of them (or share MeSH)
    max_df: float = 0.1  # words in more than this share of the records are not key terms
    depth_base: float = 0.4  # a descriptor's weight x min(1, base + step x tree depth)
    depth_step: float = 0.15
    major_bonus: float = 0.5  # a shared descriptor that is a major topic of an article
    minor_topic: float = 0.5  # source side: weight of an article's non-major headings
    rerank: int = 10  # x limit: candidates whose exact text score is computed
    strong_share: float = 0.5  # a strong match scores at least this share of the best one
    sections: dict[str, float] = field(
        default_factory=lambda: {
            "title": 3.0,
            "condition": 2.0,
            "intervention": 2.0,
            "keyword": 1.5,
            "summary": 1.0,
            "description": 0.0,
        }
    )


DEFAULT = Tuning()


@dataclass(frozen=True, slots=True)
class Concept:
    """A MeSH descriptor of the source record and its weight on the source side."""

    descriptor: Descriptor
    role: str  # condition | intervention | major topic | topic
    weight: float


@dataclass(frozen=True, slots=True)
class KeyTerm:
    term: str  # as indexed (stemmed)
    word: str  # as the record writes it
    weight: float  # weighted term frequency x idf


@dataclass(frozen=True, slots=True)
class Profile:
    """What a record is about, for similarity: its descriptors and its key terms."""

    docnum: int
    concepts: tuple[Concept, ...]
    terms: tuple[KeyTerm, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    docnum: int
    score: float
    shared: tuple[Descriptor, ...]  # shared descriptors, heaviest first
    words: tuple[str, ...]  # leading key terms the candidate contains


@dataclass(frozen=True, slots=True)
class Ranking:
    total: int  # candidates in the pool
    hits: tuple[Scored, ...]
    strong: int = 0  # candidates scoring at least `strong_share` x the best one (`floor`)
    floor: float = 0.0


def sections(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(section, text) pairs of a record that describe what it is about."""
    kind = record["type"]
    if kind == f.TRIAL:
        return [
            ("title", record["brief_title"]),
            ("title", record["official_title"]),
            ("condition", "\n".join(record["conditions"])),
            ("intervention", "\n".join(i["name"] for i in record["interventions"])),
            ("keyword", "\n".join(record["keywords"])),
            ("summary", record["brief_summary"]),
            ("description", record["detailed_description"]),
        ]
    if kind == f.ARTICLE:
        return [
            ("title", record["title"]),
            ("keyword", "\n".join(record["keywords"])),
            ("summary", "\n".join(s["text"] for s in record["abstract"])),
        ]
    return [
        ("title", record["heading"]),
        ("keyword", "\n".join(record["entry_terms"])),
        ("summary", record["scope_note"]),
    ]


def _display(word: str) -> str:
    """'Melanoma' -> 'melanoma' (a capital from the start of a sentence), 'RECOMBINANT' ->
    'recombinant' (an upper-case title); 'IL-2', 'NSCLC', 'GM-CSF' stay."""
    shouted = word.isalpha() and word.isupper() and len(word) > 6
    return word if any(c.isupper() for c in word[1:]) and not shouted else word.lower()


_QUERY_TERMS: dict[str, tuple[str, ...]] = {}
_QUERY_TERMS_LIMIT = 200_000  # words kept (as the analyzer's own caches)


def _query_terms(word: str) -> tuple[str, ...]:
    """The query-mode terms of a word as written (cached: every record names common words)."""
    found = _QUERY_TERMS.get(word)
    if found is None:
        found = tuple(_ANALYZER.terms(word, mode="query"))
        if len(_QUERY_TERMS) < _QUERY_TERMS_LIMIT:
            _QUERY_TERMS[word] = found
    return found


Frequencies = Callable[[Sequence[str]], dict[str, int]]  # terms of ALL -> documents holding each


def key_terms(
    view: IndexView,
    record: dict[str, Any],
    tuning: Tuning = DEFAULT,
    frequencies: Frequencies | None = None,
) -> tuple[KeyTerm, ...]:
    """The record's most telling words: weighted term frequency x idf over the whole index,
    leaving out words found in no other record or in more than `max_df` of them, and the
    parts of compounds ("il", "2" and "il2" of "IL-2"), which would count one word thrice.
    `frequencies`: the terms' document frequencies all at once (default: one by one)."""
    weights: dict[str, float] = {}
    words: dict[str, str] = {}
    whole: dict[str, bool] = {}
    for name, text in sections(record):
        boost = tuning.sections.get(name, 0.0)
        if not boost or not text:
            continue
        for token in _ANALYZER(text, keeporiginal=True):
            if token.text.isdigit() or len(token.text) < 2 or "/" in token.text:
                continue
            weights[token.text] = weights.get(token.text, 0.0) + boost
            if not whole.get(token.text):
                # shown as written; a compound's part ("2" of "IL-2") as its compound, until
                # the word is seen on its own
                alone = _query_terms(token.original) == (token.text,)
                if alone or token.text not in words:
                    whole[token.text] = alone
                    words[token.text] = token.original
    n = view.live.bit_count()
    wanted = [t for t in weights if whole[t]]  # a compound's parts: not again
    if frequencies is not None:
        dfs = frequencies(wanted)
    else:
        dfs = {t: view.doc_frequency(f.ALL, t) for t in wanted}
    scored = []
    for term in wanted:
        tf, df = weights[term], dfs[term]
        if 2 <= df <= tuning.max_df * n:  # a compound's parts: not again
            scored.append(KeyTerm(term, _display(words[term]), tf * math.log(n / df)))
    scored.sort(key=lambda k: (-k.weight, k.term))
    return tuple(scored[: tuning.key_terms])


def concepts(
    book: MeshBook, record: dict[str, Any], tuning: Tuning = DEFAULT
) -> tuple[Concept, ...]:
    """The record's descriptors (check tags such as Humans left out), each once."""
    kind = record["type"]
    found: list[tuple[Descriptor | None, str, float]] = []
    if kind == f.TRIAL:
        for role, key in (("condition", "condition_mesh"), ("intervention", "intervention_mesh")):
            found += [(book.resolve(m["ui"], m["term"]), role, 1.0) for m in record[key]]
    elif kind == f.ARTICLE:
        for h in sorted(record["mesh_headings"], key=lambda h: not h["major"]):
            role, weight = ("major topic", 1.0) if h["major"] else ("topic", tuning.minor_topic)
            found.append((book.resolve(h["ui"], h["name"]), role, weight))
    seen: set[str] = set()
    out = []
    for d, role, weight in found:
        if d is not None and d.ui not in seen and d.ui not in CHECK_TAGS:
            seen.add(d.ui)
            out.append(Concept(d, role, weight))
    return tuple(out)


class Similar(Protocol):
    """What related items read of similar records: the neutral ranking over the view's bitsets
    (ViewSimilar), or a backend's own (search/xapian/related.py)."""

    def rank(
        self,
        view: IndexView,
        profile: Profile,
        target: str,
        limit: int,
        exclude: int,
        tuning: Tuning,
    ) -> Ranking: ...

    def count(self, field: str, value: str) -> int:
        """Live documents holding `value` in `field`."""
        ...

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """Documents holding each term of ALL (view.doc_frequency)."""
        ...


class ViewSimilar:
    """Similar over an index view's bitsets (every backend)."""

    def __init__(self, view: IndexView) -> None:
        self.view = view

    def rank(
        self,
        view: IndexView,
        profile: Profile,
        target: str,
        limit: int,
        exclude: int,
        tuning: Tuning,
    ) -> Ranking:
        return rank(view, profile, target, limit, exclude, tuning)

    def count(self, field: str, value: str) -> int:
        return self.view.term(field, value).bit_count()

    def doc_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        return {t: self.view.doc_frequency(f.ALL, t) for t in terms}


def _at_least(sets: Iterable[int], m: int, everything: int) -> int:
    """Documents in at least `m` of the bitsets (a running "at least j so far" per j)."""
    at = [everything] + [0] * m
    for bits in sets:
        for j in range(m, 0, -1):
            at[j] |= at[j - 1] & bits
    return at[m]


def rank(
    view: IndexView,
    profile: Profile,
    target: str,
    limit: int,
    exclude: int = 0,
    tuning: Tuning = DEFAULT,
) -> Ranking:
    """The records of type `target` most like the profile (the record itself and the
    bitset `exclude` left out)."""
    allowed = view.term(f.TYPE, target) & ~exclude & ~(1 << profile.docnum)
    n_target = max(1, allowed.bit_count())
    # MeSH: each shared descriptor counts by its specificity among the wanted records.
    weighted: list[tuple[Concept, int, float]] = []
    for c in profile.concepts:
        bits = view.term(f.MESH_UI, c.descriptor.ui) & allowed
        df = bits.bit_count()
        if df:
            depth = min(1.0, tuning.depth_base + tuning.depth_step * c.descriptor.depth)
            weighted.append((c, bits, c.weight * math.log(1 + n_target / df) * depth))
    # Text: the candidates have most of the leading key terms.
    leading = [(k, view.term(f.ALL, k.term) & allowed) for k in profile.terms]
    leading = leading[: tuning.pool_terms]
    pool = 0
    for _, bits, _ in weighted:
        pool |= bits
    if leading:
        need = min(tuning.pool_min_match, len(leading))
        pool |= _at_least((b for _, b in leading), need, allowed)
    total = pool.bit_count()
    if not total:
        return Ranking(0, ())
    scores = _mesh_scores(view, profile, weighted, target, tuning)
    every = _add_text_scores(scores, view, profile, pool, bool(weighted), limit, tuning)
    best = heapq.nlargest(limit, scores.items(), key=lambda kv: (kv[1], -kv[0]))
    floor = tuning.strong_share * best[0][1] if best else 0.0
    strong = sum(1 for v in every.values() if v >= floor) if floor > 0 else 0
    hits = []
    for d, score in best:
        shared = sorted(((w, c) for c, bits, w in weighted if bits >> d & 1), key=_heaviest)
        words = dict.fromkeys(k.word for k, bits in leading if bits >> d & 1)
        hits.append(Scored(d, score, tuple(c.descriptor for _, c in shared), tuple(words)))
    return Ranking(total, tuple(hits), strong, floor)


def _heaviest(pair: tuple[float, Concept]) -> tuple[float, str]:
    return -pair[0], pair[1].descriptor.heading


def _mesh_scores(
    view: IndexView,
    profile: Profile,
    weighted: list[tuple[Concept, int, float]],
    target: str,
    tuning: Tuning,
) -> dict[int, float]:
    """MESH_SHARE x (weights of the shared descriptors / weights of the record's), plus the
    major-topic bonus for articles: for every candidate sharing a descriptor."""
    scores: dict[int, float] = {}
    total = sum(w for _, _, w in weighted)
    share = tuning.mesh_share if profile.terms else 1.0
    for c, bits, w in weighted:
        part = share * w / total
        for d in iter_bits(bits):
            scores[d] = scores.get(d, 0.0) + part
        if target == f.ARTICLE and tuning.major_bonus:
            major = view.term(f.MESH_MAJOR, c.descriptor.ui) & bits
            for d in iter_bits(major):
                scores[d] += part * tuning.major_bonus
    return scores


def _add_text_scores(
    scores: dict[int, float],
    view: IndexView,
    profile: Profile,
    pool: int,
    with_mesh: bool,
    limit: int,
    tuning: Tuning,
) -> dict[int, float]:
    """Add (1 - MESH_SHARE) x BM25F of the key terms (each boosted by its weight in the record)
    / its upper bound, in two steps: every candidate first gets the score of a one-time
    occurrence in an average-length record (from the terms' bitsets, no postings read); then
    the best `rerank` of them get the exact BM25F from the postings (term frequency, section
    weights, length). Returns every candidate's score: exact for those, the first estimate
    for the others (what the count of strong matches reads)."""
    if not profile.terms:
        return dict(scores)
    share = 1.0 - tuning.mesh_share if with_mesh else 1.0
    top = profile.terms[0].weight
    n = view.doc_count()
    terms = []
    for k in profile.terms:
        weight = k.weight / top * idf(n, view.doc_frequency(f.ALL, k.term))
        terms.append((k.term, weight, view.term(f.ALL, k.term) & pool))
    bound = sum(w * (view.k1 + 1) for _, w, _ in terms)
    first = dict(scores)
    for _, w, within in terms:
        part = share * w / bound
        for d in iter_bits(within):
            first[d] = first.get(d, 0.0) + part
    rerank = max(limit * tuning.rerank, limit)
    best = sorted(heapq.nlargest(rerank, first.items(), key=lambda kv: (kv[1], -kv[0])))
    exact = _bm25(view, [(t, share * w / bound, bits) for t, w, bits in terms], best)
    for d, _ in best:
        scores[d] = first[d] = scores.get(d, 0.0) + exact.get(d, 0.0)
    return first


def _bm25(
    view: IndexView, terms: list[tuple[str, float, int]], docs: list[tuple[int, float]]
) -> dict[int, float]:
    """Sum of weight x BM25F(term, doc) for the docs (ascending), reading each term's
    frequencies only at those docs."""
    avgdl = view.avg_length(f.ALL) or 1.0
    out: dict[int, float] = {}
    lengths = {d: view.length(d, f.ALL) or avgdl for d, _ in docs}
    for term, weight, bits in terms:
        tfs = view.weights(f.ALL, term, [d for d, _ in docs if bits >> d & 1])
        for d, tf in tfs.items():
            out[d] = out.get(d, 0.0) + weight * saturated_tf(tf, lengths[d], avgdl, view.k1, view.b)
    return out
