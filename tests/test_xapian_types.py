"""Collection statistics per record type on the Xapian backend (search/xapian/typestats.py): a
term's idf is that of the documents of the scored document's type, counted here independently
from the database's postings and each document's type."""

from __future__ import annotations

from collections import Counter

import pytest

from search import fields as f
from search import querytree as qt
from search.models import SearchRequest
from search.scoring import idf
from search.store import current_build
from search.xapian import Reader
from search.xapian.engine import Parsed
from search.xapian.schema import SLOT_TYPE, term
from search.xapian.shards import open_build
from search.xapian.typestats import TypeCounts


def run(reader: Reader, tree: qt.Node, q: str):  # noqa: ANN201
    req = SearchRequest(q=q, size=100, expand="none")
    return reader.search_parsed(req, Parsed(tree, tree, q, tuple(q.split())))


@pytest.fixture(scope="module")
def db(xapian_index):
    database = open_build(current_build(xapian_index))
    yield database
    database.close()


def types_of(db, key: str) -> Counter[str]:  # noqa: ANN001
    """The record types of the documents holding `key` ("": every document)."""
    return Counter(db.get_document(p.docid).get_value(SLOT_TYPE).decode() for p in db.postlist(key))


@pytest.mark.parametrize(
    "field, word", [(f.ALL, "melanoma"), (f.ALL, "cancer"), (f.TITLE, "cancer")]
)
def test_a_terms_idf_is_that_of_its_documents_type(xapian_index, db, field, word):
    key = term(field, word)
    holding, every = types_of(db, key), types_of(db, "")
    assert len(holding) >= 2  # the word is in records of several types
    typed = run(Reader(xapian_index), qt.Term(field, word), word)
    whole = run(Reader(xapian_index, per_type=False), qt.Term(field, word), word)
    assert typed.total == whole.total == sum(holding.values())
    n, total = sum(holding.values()), sum(every.values())
    by_id = {h.id: h.score for h in whole.hits}
    assert {h.id for h in typed.hits} == set(by_id)
    for hit in typed.hits:  # BM25 = idf x saturated tf: only the idf is the type's
        ratio = idf(every[hit.type], holding[hit.type]) / idf(total, n)
        assert hit.score == pytest.approx(by_id[hit.id] * ratio, rel=2e-3, abs=2e-4)
    assert [h.score for h in typed.hits] == sorted((h.score for h in typed.hits), reverse=True)


def test_frequencies_per_type_sum_to_the_terms(db):
    counts = TypeCounts(db)
    assert bool(counts) and {t for t, _ in counts.types} == {
        term(f.TYPE, kind) for kind in types_of(db, "")
    }
    for word in ("melanoma", "trial", "patients"):
        holding = types_of(db, word)
        found = counts.frequencies(word, db.get_termfreq(word))
        assert dict(zip((t for t, _ in counts.types), found, strict=True)) == {
            term(f.TYPE, kind): holding.get(kind, 0) for kind in types_of(db, "")
        }


@pytest.mark.parametrize("rare", [None, 5])
def test_rare_terms_looked_up_by_type_count_as_the_matches_per_type(db, rare, monkeypatch):
    """A term of at most RARE documents has its documents' types looked up in the docid ->
    type array (search/xapian/sources.py kinds); every term of the fixture index (each field,
    each count term) counts the same per type so as by a match per type, and both as the
    documents' own types say, for a sample of them."""
    from search.xapian import typestats
    from search.xapian.sources import Sources

    if rare is not None:  # the fixture's terms are all rare: take both ways
        monkeypatch.setattr(typestats, "RARE", rare)
    counted = TypeCounts(db)
    looked_up = TypeCounts(db, Sources(db, 1.2, 0.75).kinds)
    rare = common = 0
    for n, item in enumerate(db.allterms()):
        key, total = item.term.decode("utf-8"), item.termfreq
        found = looked_up.frequencies(key, total)
        assert found == counted.frequencies(key, total), key
        if n % 97 == 0:
            holding = types_of(db, key)
            assert found == tuple(holding.get(t[len(counted._pre) :], 0) for t, _ in counted.types)
        if total <= typestats.RARE:
            rare += 1
        else:
            common += 1
    assert rare > 1000 and (common > 500 or typestats.RARE > 5)  # both ways taken


def test_frequencies_read_from_a_terms_postings_count_as_a_match_per_type(db):
    """`read` counts a term's frequencies per type from the documents holding it (its postings,
    read for its field's sources): every term of the fixture index counts the same as by a
    match per type."""
    from search.xapian.sources import Sources

    counted, sources = TypeCounts(db), Sources(db, 1.2, 0.75)
    read = TypeCounts(db, sources.kinds)
    for item in db.allterms():
        key = item.term.decode("utf-8")
        found = sources.held(key)
        assert found is not None  # (every fixture term is held by few documents)
        read.read(key, found[0])
        assert read.knows(key)
        assert read.frequencies(key, item.termfreq) == counted.frequencies(key, item.termfreq)


def test_a_field_words_frequencies_per_type_come_from_its_postings(xapian_index, monkeypatch):
    """A ranking of field words (title, aside, MeSH UI) counts their frequencies per type from
    the postings it reads for their sources: no match of its own per word (a word of 100 to
    20,000 documents took two, ~0.16 ms on the full data); the ALL words are still counted."""
    asked: list[str] = []
    for name in ("_count", "_looked_up"):
        method = getattr(TypeCounts, name)
        monkeypatch.setattr(
            TypeCounts, name, lambda self, key, *a, m=method: asked.append(key) or m(self, key, *a)
        )
    reader = Reader(xapian_index)
    words = ("melanoma", "cancer", "patient")
    fielded = [qt.Term(field, w) for field in (f.TITLE, "aside") for w in words]
    tree = qt.AndMaybe(qt.Or(tuple(qt.Term(f.ALL, w) for w in words)), qt.Or(tuple(fielded)))
    page = run(reader, tree, " ".join(words))
    assert page.total and page.hits
    assert set(asked) == {term(f.ALL, w) for w in words}  # none of the field words
    types = reader.state().translator.types
    assert all(types.knows(term(t.field, t.text)) for t in fielded)
