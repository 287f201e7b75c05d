"""The Xapian backend's faster search path on the fixture records: match sets from the boolean
form of a tree (search/xapian/query.py), rankings with the sources of the ranked documents'
lengths only and without the fields a record type lacks (search/xapian/sources.py), and the
partial matches ranked by AND_NOT: the same matches, order and scores as the forms they replace."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import xapian
from test_xapian import TYPED

from bench.prune_check import AndMaybeTranslator
from search import fields as f
from search import querytree as qt
from search.expansion import MeshExpander
from search.models import SearchRequest
from search.related_mesh import ViewMeshSource
from search.scoring import MESH_PRIOR, saturated_tf
from search.xapian import Reader, docweights, sources
from search.xapian.listing import InMask
from search.xapian.matching import boolean, conjunction, hoisted, matcher, nodes, unphrased
from search.xapian.query import scaled, weighting
from search.xapian.schema import term
from search.xapian.shards import ranked_within

QUERIES = dict.fromkeys(
    [
        *(q for q in TYPED if q),
        "prostate cancer",
        "melanoma interleukin-2",
        "breast neoplasms chemotherapy",
        "herniated disc surgery",
        "title:melanom*",
        "melanoma year:1970..1990",
        '"skin cancer" melanoma year:1970..2000',
        "melanoma neoplasms year:1980..2010 NOT interleukin",
        "what is the role of interleukin in melanoma year:1980..2010",
    ]
)


@pytest.fixture(scope="module")
def reader(xapian_index):
    return Reader(xapian_index)


@pytest.fixture(scope="module")
def whole_reader(xapian_index):
    """A reader scoring with the whole index's statistics (per_type=False)."""
    return Reader(xapian_index, per_type=False)


def parse(reader, text: str):
    """The tree (and loose tree) the reader searches for `text`, MeSH expansion included."""
    st = reader.state()
    req = SearchRequest(q=text)
    expander = MeshExpander(ViewMeshSource(reader._view(st)))
    found = reader._builder.parse(
        text, expand=lambda t, **kw: expander.find(t, req.expand, **kw), mode=req.mode
    )
    return st, req, found


def ranking(reader, st, query: xapian.Query, size: int = 50) -> list[tuple[int, float]]:
    enquire = reader._enquire(st)
    enquire.set_weighting_scheme(weighting(reader.k1, reader.b))
    enquire.set_query(query)
    return [(m.docid, m.weight) for m in enquire.get_mset(0, size, st.db.get_doccount())]


@pytest.mark.parametrize("text", QUERIES)
def test_the_boolean_form_matches_what_the_scored_query_matches(reader, text):
    with reader.lock:
        st, _, found = parse(reader, text)
        for tree in (found.query, found.loose):
            if tree is None:
                continue
            st.translator.reset()
            mine = reader._matches(st, boolean(st.translator, tree))
            scored = reader._matches(st, matcher(st.translator(tree)))
            assert mine.any() or not scored.any()
            assert (mine == scored).all()


@pytest.mark.parametrize("per_type", [True, False])
@pytest.mark.parametrize("text", QUERIES)
def test_a_ranking_within_its_match_set_is_the_ranking_over_every_document(
    reader, whole_reader, text, per_type
):
    """The old form: one translation of the whole tree (every length, every field) per type;
    with idf per type (search/xapian/typestats.py), the tree translated for each type (every
    length; the fields of that type)."""
    q = xapian.Query
    reader = reader if per_type else whole_reader
    with reader.lock:
        st, req, found = parse(reader, text)
        st.translator.reset()
        tree = found.query
        _, _, allowed, total = reader._match(st, req, tree)
        if not total and found.loose is not None:  # as the reader: any of the words
            tree = found.loose
            _, _, allowed, total = reader._match(st, req, tree)
        assert total
        mine = ranking(reader, st, reader._ranked(st, tree, req, allowed))
        halves = [
            q(q.OP_FILTER,
              scaled(st.translator(tree, t if per_type else None),
                     MESH_PRIOR if t == f.MESH_TYPE else 1.0),
              q(term(f.TYPE, t)))
            for t in f.TYPES
        ]  # fmt: skip
        assert mine == ranking(reader, st, q(q.OP_OR, halves))
        assert len(mine) == min(total, 50)


def test_partial_matches_ranked_by_and_not_as_by_the_decider(reader):
    with reader.lock:
        st, req, found = parse(reader, "melanoma interleukin-2")
        st.translator.reset()
        _, _, allowed, total = reader._match(st, req, found.query)
        _, _, loose, _ = reader._match(st, req, found.loose)
        extra = loose & ~allowed
        assert total and extra.sum() > 5
        docids, scores = reader._pool(st, req, found.loose, extra, 0, 100, found.query)
        enquire = reader._enquire(st)
        enquire.set_weighting_scheme(weighting(reader.k1, reader.b))
        enquire.set_query(reader._ranked(st, found.loose, req, extra))
        want = ranked_within(enquire, st.db, 0, 100, extra, InMask(extra))
        assert [(d, scores[d]) for d in docids] == [(m.docid, m.weight) for m in want]
        assert all(extra[d] for d in docids) and len(docids) == int(extra.sum())


QUESTION = "does interleukin-2 help patients with metastatic melanoma"


def trees(reader, text: str) -> list[qt.Node]:
    """The trees a search of `text` ranks: the full and partial matches', with the feedback's
    clause when the reading asks for it."""
    st, req, found = parse(reader, text)
    st.translator.reset()
    out = [t for t in (found.query, found.loose) if t is not None]
    _, _, allowed, total = reader._match(st, req, found.query)
    if total and text == QUESTION:
        gained = reader._feedback(st, req, found.query, allowed, len(found.words))
        assert gained is not None
        out.append(qt.AndMaybe(found.query, gained))
    return out


def test_no_ranking_sends_an_and_maybe_and_each_ranks_as_the_and_maybe_did(reader):
    """Xapian 1.4.26 segfaults pruning an OP_MAX under OP_AND_MAYBE (the full data: "Institute
    Alcohol Abuse Alcoholism"; bench/prune_check.py), so rankings counted every match of a
    tree with a DisMax. Now no translation holds an OP_AND_MAYBE ("X OR (Y FILTER X')", an
    "m of n" as a FILTER) and every ranking prunes: the same matches, order and scores as the
    OP_AND_MAYBE forms (counted whole, the form that did not crash)."""
    seen = {"and maybe with a best-of": 0, "m of n": 0, "and maybe in an and": 0}
    with reader.lock:
        st = reader.state()
        before = AndMaybeTranslator(st.db, reader.k1, reader.b)
        melanoma = qt.DisMax((qt.Term(f.ALL, "melanoma"), qt.Term(f.MESH_UI, "D008545", 0.5)))
        words = [melanoma, *(qt.Term(f.ALL, w) for w in ("interleukin-2", "metastat", "vaccin"))]
        some = qt.AndMaybe(qt.Or(tuple(words), minimum=2), qt.Term(f.ASIDE, "melanoma"))
        texts = [*QUERIES, QUESTION, "Alcohol Abuse Institute", "melanoma NOT children phase:2"]
        asked = [(t, trees(reader, t)) for t in texts]
        built = [some, qt.And((some, words[2], words[3])), some.required]
        for text, found in [*asked, ("melanoma", built)]:
            for tree in found:
                parts = list(nodes(tree))
                has_max = any(isinstance(n, qt.DisMax) and len(n.children) > 1 for n in parts)
                maybe = any(isinstance(n, qt.AndMaybe) for n in parts)
                m_of_n = any(isinstance(n, qt.Or) and n.minimum > 1 for n in parts)
                seen["and maybe with a best-of"] += has_max and maybe
                seen["m of n"] += m_of_n
                seen["and maybe in an and"] += any(
                    isinstance(n, qt.And) and hoisted(n) is not None for n in parts
                )
                st.translator.reset()
                mine = reader._ranked(st, tree, SearchRequest(q=text))
                translator, st.translator = st.translator, before
                try:
                    theirs = reader._ranked(st, tree, SearchRequest(q=text))
                finally:
                    st.translator = translator
                assert "AND_MAYBE" not in str(mine)
                assert ("AND_MAYBE" in str(theirs)) == (maybe or m_of_n)
                every = ranking(reader, st, mine, 100)
                assert every == ranking(reader, st, theirs, 100)
                enquire = reader._enquire(st)
                enquire.set_weighting_scheme(weighting(reader.k1, reader.b))
                enquire.set_query(mine)
                pruned = [(m.docid, m.weight) for m in enquire.get_mset(0, 10)]
                assert pruned == every[:10]
    assert all(seen.values()), seen


def test_a_fielded_words_sources_map_only_the_lengths_of_its_documents(reader, monkeypatch):
    """Xapian copies a posting source's table for each use in a match: a word of `aside` with
    a dozen wdfs, in four phrases of a MeSH-expanded concept, copied every length of the field
    a dozen times per use (20 ms of the 25 of "Electroconvulsive Therapy"'s partial matches on
    data/sample). Each (word, wdf) source now maps the lengths of the documents holding the word
    that often (shared while the database is open), within a known match set too: smaller
    queries, the same ranking as sources of every length (MAX_HELD = 0)."""
    text = "melanoma"
    sizes, rankings = [], []
    for held in (sources.MAX_HELD, 0):
        monkeypatch.setattr(sources, "MAX_HELD", held)
        with reader.lock:
            reader._state = None  # a new translator: no source made before
            st, req, found = parse(reader, text)
            st.translator.reset()
            _, _, allowed, total = reader._match(st, req, found.query)
            assert total > 5
            query = reader._ranked(st, found.query, req, allowed)
            sizes.append(len(query.serialise()))
            rankings.append(ranking(reader, st, query))
    monkeypatch.undo()
    with reader.lock:
        reader._state = None
    assert sizes[0] < sizes[1] * 0.8
    assert rankings[0] == rankings[1] and len(rankings[0]) == min(total, 50)


def test_a_match_set_leaves_out_the_phrases_a_sibling_word_covers(reader):
    """A phrase beside one of its own words (a MeSH synonym "malignant melanoma" beside the
    typed "melanoma") matches nothing that word does not: the match set skips reading its
    positions. Phrases with no such sibling stay, and an "m of n" keeps every child."""
    melanoma, phrase = qt.Term(f.ALL, "melanoma"), qt.Phrase(f.ALL, ("malign", "melanoma"))
    other = qt.Phrase(f.ALL, ("metastat", "melanoma"))
    aside = qt.Phrase(f.ASIDE, ("malign", "melanoma"))
    assert unphrased(qt.DisMax((melanoma, phrase, aside))) == (melanoma, aside)
    assert unphrased(qt.Or((qt.Or((melanoma, qt.Term(f.ALL, "x"))), phrase))) == (
        qt.Or((melanoma, qt.Term(f.ALL, "x"))),
    )
    assert unphrased(qt.DisMax((qt.Term(f.ALL, "interleukin-2"), other))) == (
        qt.Term(f.ALL, "interleukin-2"),
        other,
    )
    q = xapian.Query
    with reader.lock:
        st = reader.state()
        for tree in (qt.DisMax((melanoma, phrase, other, aside)), qt.Or((phrase, melanoma))):
            whole = q(q.OP_OR, [boolean(st.translator, c) for c in tree.children])
            assert "PHRASE" in str(whole) and str(boolean(st.translator, tree)).count(
                "PHRASE"
            ) < str(whole).count("PHRASE")
            assert (reader._matches(st, boolean(st.translator, tree)) ==
                    reader._matches(st, whole)).all()  # fmt: skip
        some = qt.Or((melanoma, phrase, other), minimum=2)
        assert str(boolean(st.translator, some)).count("PHRASE") == 4  # each pair with a phrase


def test_a_words_lengths_are_grouped_by_wdf_as_one_wdf_at_a_time(reader):
    """Sources._group (every wdf of a word at once) gives each wdf the distinct lengths of the
    documents (of a type) holding the word that often, as a filter per wdf does."""
    with reader.lock:
        st = reader.state()
        found = st.translator.sources
        table = found.table(f.ASIDE)
        for key in ("XASIDE:melanoma", "XASIDE:cancer", "XASIDE:nosuchword"):
            docids, wdfs = found.held(key) or (np.empty(0, np.int64), np.empty(0, np.int64))
            for kind in (None, *f.TYPES):
                grouped = found._group(table, kind, docids, wdfs)
                for wdf in {*wdfs.tolist(), 7}:
                    docs = docids[wdfs == wdf]
                    if kind is not None:
                        docs = docs[found.kinds()[docs] == f.TYPES.index(kind)]
                    lengths = table.per_doc[docs]
                    want = np.unique(lengths[lengths >= 0])
                    assert grouped.get(wdf, want[:0]).tolist() == want.tolist()
                assert all(len(v) for v in grouped.values())
        assert len(found._group(table, None, *found.held("XASIDE:melanoma"))) > 1  # wdfs


def test_a_range_beside_an_any_of_with_a_phrase_is_taken_into_each_of_its_children(reader):
    """The matches of an And's parts (an optional clause's filter X'): a numeric range beside
    an any-of holding a phrase is AND'ed with each of its children (Xapian 1.4.26 checked the
    phrase for every document of the range), the same matches as the plain AND."""
    q = xapian.Query
    words = qt.Or((qt.Term(f.ALL, "melanoma"), qt.Phrase(f.ALL, ("skin", "cancer"))))
    concept = qt.DisMax((qt.Term(f.ALL, "neoplasm"), qt.Phrase(f.ALL, ("skin", "neoplasm"))))
    year = qt.Range("year", 1970, 2000)
    with reader.lock:
        st = reader.state()
        form = str(conjunction(st.translator, [words, year]))
        assert form.count("VALUE_RANGE") == 2 and ") OR ((skin PHRASE 2 cancer) AND VALUE" in form
        assert "(melanoma AND VALUE_RANGE" in form
        cases = [
            [words, year],
            [year, qt.Or((words, concept, qt.Term(f.ALL, "interleukin")))],
            [words, qt.Term("year", "1990"), concept],
            [qt.Term(f.ALL, "melanoma"), year],  # no phrase: the plain AND
            [words, qt.Range("year", None, 1995), qt.Range("year", 1980, None)],
        ]
        for parts in cases:
            plain = q(q.OP_AND, [boolean(st.translator, p) for p in parts])
            mine = reader._matches(st, conjunction(st.translator, parts))
            assert (mine == reader._matches(st, plain)).all()
            assert (reader._matches(st, boolean(st.translator, qt.And(tuple(parts)))) == mine).all()
        assert str(conjunction(st.translator, cases[3])) == str(
            q(q.OP_AND, [boolean(st.translator, p) for p in cases[3]])
        )


def _ranked_both_ways(reader, monkeypatch, tree, req=None):
    """(ranking, count terms in the query) of `tree` within its match set: with a field
    word's wdfs the ranked documents lack left out, and with every wdf (Sources.present
    knowing none)."""
    req = req or SearchRequest(q="x")
    out = []
    for every in (False, True):
        if every:
            monkeypatch.setattr(sources.Sources, "present", lambda self, key: None)
        with reader.lock:
            st = reader.state()
            st.translator.reset()
            _, _, allowed, total = reader._match(st, req, tree)
            query = reader._ranked(st, tree, req, allowed)
            out.append((ranking(reader, st, query, 200), str(query).count("XTF:"), total))
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("text", QUERIES)
def test_a_ranking_leaves_out_the_wdfs_its_documents_lack(reader, monkeypatch, text):
    """A field word's sources and count terms for the wdfs no ranked document has it with
    are left out (an `aside` word has dozens): the same ranking, the same scores."""
    with reader.lock:
        _, req, found = parse(reader, text)
    for tree in (found.query, found.loose):
        if tree is None:
            continue
        (pruned, fewer, total), (every, more, _) = _ranked_both_ways(reader, monkeypatch, tree, req)
        assert pruned == every and len(pruned) == min(total, 200)
        assert fewer <= more


def test_fewer_count_terms_rank_a_few_documents(reader, monkeypatch):
    monkeypatch.setattr(docweights, "PER_DOC", 0)  # a source per wdf (not one per word)
    (pruned, fewer, total), (every, more, _) = _ranked_both_ways(
        reader, monkeypatch, qt.AndMaybe(qt.Term(f.ALL, "melanoma"), qt.Term("aside", "patient"))
    )
    assert total and pruned == every
    assert 0 < fewer < more


@pytest.mark.parametrize("word", ["no", "diseas", "least", "medic", "prior", "patient", "3"])
def test_a_word_under_a_not_keeps_every_wdf(reader, monkeypatch, word):
    """Under a NOT, the documents holding the word outside the ranked ones count: they must
    stay out. The word's every wdf is kept there (the same matches and ranking)."""
    for positive in ("cancer", "patient", "therapi"):
        tree = qt.AndNot(qt.Term(f.ALL, positive), qt.Term("aside", word))
        (pruned, _, total), (every, _, _) = _ranked_both_ways(reader, monkeypatch, tree)
        assert pruned == every and len(pruned) == min(total, 200)


@pytest.mark.parametrize("field", ["title", "aside"])
def test_a_length_sources_weight_is_the_saturated_tf_of_each_length(reader, field):
    """The weights of a field's length source (computed for every length at once) are BM25's
    saturated tf of each document's own length, to the bit, times SOURCE_SCALE."""
    with reader.lock:
        st = reader.state()
        made = st.translator.sources
        table = made.table(field)
        for tf in (1, 0.2, 2.5):
            source = made._mapped(table, field, tf, table.distinct)
            enquire = xapian.Enquire(st.db)
            enquire.set_query(xapian.Query(source))
            found = enquire.get_mset(0, st.db.get_doccount())
            assert found.size() == int((table.per_doc >= 0).sum())
            for m in found:
                length = int(table.per_doc[m.docid])
                one = saturated_tf(tf, length, table.average, made.k1, made.b)
                assert m.weight == one * sources.SOURCE_SCALE


class _Asking(xapian.Database):
    """The fixture database, counting the frequencies asked of it."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.asked: Counter[str] = Counter()

    def get_termfreq(self, key):  # noqa: ANN001, ANN201
        self.asked[key if isinstance(key, str) else key.decode("utf-8")] += 1
        return super().get_termfreq(key)


def test_a_words_frequency_is_asked_of_the_database_once(reader, xapian_index):
    """A translation asks a word's frequency once per open database (sources.py `termfreq`),
    not for each record type and ranking (each ask reads the database's B-tree)."""
    from search.store import current_build
    from search.xapian.query import Translator

    db = _Asking(str(current_build(xapian_index) / "xapian"))
    translator = Translator(db)
    with reader.lock:
        _, _, found = parse(reader, "melanoma interleukin-2 title:cancer")
    within = np.ones(db.get_lastdocid() + 1, dtype=bool)
    for _ in range(2):
        translator.reset()
        for kind in f.TYPES:
            translator(found.query, kind, within)
            translator(found.query, kind)
    words = [term(field, text) for field, text in qt.positive_terms(found.query)]
    assert words and all(db.asked[w] == 1 for w in words)
    assert all(translator.sources.termfreq(w) == xapian.Database.get_termfreq(db, w) for w in words)


def test_a_translator_is_freed_with_its_last_reference(xapian_index):
    """No reference cycle holds a translator (its sources, its database) alive once dropped:
    the database closes at once, not at a later garbage collection (an index on a tmpfs
    could not be unmounted: tests/test_crash.py)."""
    import gc
    import weakref

    from search.store import current_build
    from search.xapian.query import Translator

    translator = Translator(xapian.Database(str(current_build(xapian_index) / "xapian")))
    translator.sources.termfreq(term(f.ALL, "melanoma"))
    translator.sources.held(term(f.TITLE, "melanoma"))
    gone = [weakref.ref(translator), weakref.ref(translator.sources)]
    gc.disable()
    try:
        del translator
        assert [r() for r in gone] == [None, None]
    finally:
        gc.enable()


def test_a_translations_sources_live_with_the_translator_not_the_query(reader, monkeypatch):
    """The scored queries are made without the bindings' Python note of their posting sources
    (matching.py `made`): the translator keeps every source of a search alive until the next
    search's `reset`, also those its word cache forgets mid-search (MAX_WORDS), and the
    ranking is the same, after a full garbage collection, as with the cache kept."""
    import gc
    import weakref

    made: list[weakref.ref] = []
    mapped = sources.Sources._mapped

    def recorded(self, *args):  # noqa: ANN001, ANN002, ANN202
        source = mapped(self, *args)
        made.append(weakref.ref(source))
        return source

    monkeypatch.setattr(sources.Sources, "_mapped", recorded)
    monkeypatch.setattr(docweights, "PER_DOC", 0)  # a source per wdf (sources.py `_word`)
    with reader.lock:
        st, req, found = parse(reader, "melanoma interleukin-2 title:cancer aside:patient")
        within = np.ones(st.tables.size, dtype=bool)
        rankings = []
        for most in (sources.MAX_WORDS, 1):  # 1: each word's sources forgotten at once
            monkeypatch.setattr(sources, "MAX_WORDS", most)
            st.translator.sources._words.clear()
            st.translator.reset()
            made.clear()
            query = reader._ranked(st, found.query, req, within)
            assert getattr(query, "_ps", None) is None  # no Python note of its sources
            gc.collect()
            assert made and all(ref() is not None for ref in made)  # alive until `reset`
            rankings.append(ranking(reader, st, query))
        st.translator.reset()
        st.translator.sources._words.clear()
    assert rankings[0] == rankings[1] and len(rankings[0]) > 3


TRIALS = (("type", ("trial",)),)


@pytest.mark.parametrize(
    "text, filters",
    [
        ("herniated disc surgery", ()),
        ("herniated disc surgery", TRIALS),
        ("cancer chemotherapy", ()),
        ("cancer chemotherapy", TRIALS),
        ("herniated disc status:completed", ()),
        ('"skin cancer" melanoma year:1970..2000', ()),
        ('"skin cancer" melanoma year:1970..2000', (("type", ("article",)),)),
    ],
)
def test_partial_matches_are_counted_without_their_match_set(reader, monkeypatch, text, filters):
    """A page the full matches fill counts the partial ones (`more`) in Xapian, without
    reading the loose tree's match set into a mask (matchsets.py `_more`), unless a facet is
    selected or the tree has a numeric range; the same number as the masks give, and the
    same page as with the masks."""
    req = SearchRequest(q=text, size=1, filters=filters)
    with reader.lock:
        st, _, found = parse(reader, text)
        full = reader._match(st, req, found.query)[2]
        loose = reader._match(st, req, found.loose)[2]
    expected = int((loose & ~full).sum())
    assert expected > 0 and full.any()
    read: list[tuple] = []
    matches = type(reader)._matches
    monkeypatch.setattr(type(reader), "_matches", lambda s, *a: read.append(a) or matches(s, *a))
    page = reader.search(req)
    assert page.more == expected and page.total == int(full.sum())
    masked = bool(filters) or "year:" in text  # the partial matches' match set read too
    assert len(read) == (2 if masked else 1)
    monkeypatch.setattr(type(reader), "_more", lambda *a: None)  # the masks, as before
    assert reader.search(req) == page


def test_a_page_the_full_matches_leave_room_on_reads_the_partial_ones_once(reader, monkeypatch):
    """When the partial matches will be listed on the page, their match set is read (once),
    not counted first as well."""

    def counted(*args):  # noqa: ANN002, ANN202
        raise AssertionError("counted")

    page = reader.search(SearchRequest(q="herniated disc surgery", size=20))
    assert page.total < 20 and page.more and page.hits[-1].partial
    monkeypatch.setattr(type(reader), "_more", counted)
    assert reader.search(SearchRequest(q="herniated disc surgery", size=20)) == page
