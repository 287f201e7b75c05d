"""A search's term statistics and its page's documents from the count servers
(search/xapian/termstats.py): real count servers beside real `xapian-tcpsrv` on 127.0.0.1 (the
fixtures of tests/test_countserver.py). Their added-up answers equal one database's
frequencies, frequencies per type and listings, their documents the shards' own; a search
served by them asks the shards none of its words' statistics and reads none of its page's
documents, and ranks and shows as one database (a question's feedback clause too, asked while
the counts are pending); a bad request gets its 400 and the server goes on."""

from __future__ import annotations

import json
import threading
import traceback

import pytest
import xapian
from test_countserver import ask, engine, joined, served  # noqa: F401 (fixtures)
from test_shards import one, same_page, sharded  # noqa: F401 (fixtures)

from search import feedback, querymodel
from search import fields as f
from search import querytree as qt
from search.engine import SearchEngine
from search.models import SearchRequest
from search.store import current_build
from search.xapian import sources, termstats, typestats
from search.xapian.counters import CountServers
from search.xapian.counting import Group
from search.xapian.lengths import postings
from search.xapian.localcounters import LocalCounters
from search.xapian.schema import DOCUMENT_SLOTS, TF_MARK, TF_PREFIX, term
from search.xapian.shardcounter import ShardCounter
from search.xapian.shards import RemoteShards, parse_addresses, shard_dirs
from search.xapian.typestats import TypeCounts

WORDS = [
    *(term(field, "melanoma") for field in (f.ALL, f.ASIDE, f.TITLE)),
    *(term(f.ALL, w) for w in ("interleukin", "znosuchword")),
    term(f.MESH_UI, "D008545"),
]
QUESTION = "melanoma patients treated with interleukin"


def shard_reads(monkeypatch, within: str) -> list[int]:  # noqa: ANN001
    """The docids read from the shards (not kept yet: a round trip each) by calls made within
    the function named `within`, from now on."""
    read: list[int] = []
    plain = RemoteShards.get_document

    def get_document(self, docid, flags=0):  # noqa: ANN001, ANN202
        inside = any(frame.name == within for frame in traceback.extract_stack())
        if inside and docid not in self._docs:
            read.append(docid)
        return plain(self, docid, flags)

    monkeypatch.setattr(RemoteShards, "get_document", get_document)
    return read


def one_database(one):  # noqa: ANN001, ANN201, F811
    return xapian.Database(str(current_build(one) / "xapian"))


def expected(db: xapian.Database) -> termstats.Answer:
    types = TypeCounts(db)
    terms = {}
    for key in WORDS:
        n = db.get_termfreq(key)
        terms[key] = [n, types.named(key, n) if n else {}]
    prefixes = {}
    for key in WORDS:
        pre = TF_PREFIX + key + TF_MARK
        prefixes[pre] = [[t.term.decode(), t.termfreq] for t in db.allterms(pre)]
    return {"terms": terms, "prefixes": prefixes, "postings": {}}


def test_the_shards_statistics_add_up_to_one_databases(one, sharded, served):  # noqa: F811
    want = expected(one_database(one))
    assert want["terms"][WORDS[0]][0] > 0 and len(want["terms"][WORDS[0]][1]) > 1
    assert any(len(v) > 1 for v in want["prefixes"].values())  # a word with several wdfs
    prefixes = list(want["prefixes"])
    servers = CountServers(parse_addresses(joined(served[1])), 10.0)
    assert servers.stats(WORDS, prefixes, [""] * len(served[1])) == want
    local = LocalCounters(shard_dirs(current_build(sharded)))
    try:
        assert local.stats(WORDS, prefixes, [""] * len(local.shards)) == want
    finally:
        local.close()


def test_a_search_on_count_servers_asks_the_shards_no_statistics_of_its_words(
    one,  # noqa: F811
    sharded,  # noqa: F811
    served,  # noqa: F811
    monkeypatch,
):
    asked: list[str] = []
    plain_termfreq, plain_allterms = RemoteShards.get_termfreq, RemoteShards.allterms

    def termfreq(self, key):  # noqa: ANN001, ANN202
        if not self.knows_termfreq(key.decode() if isinstance(key, bytes) else key):
            asked.append(key)
        return plain_termfreq(self, key)

    def allterms(self, prefix=""):  # noqa: ANN001, ANN202
        if prefix.startswith(TF_PREFIX) and not self.knows_terms(prefix):
            asked.append(prefix)
        return plain_allterms(self, prefix)

    def spied(self, key):  # noqa: ANN001, ANN202
        raise AssertionError(f"{key}'s frequencies per type were counted on the shards")

    monkeypatch.setattr(RemoteShards, "get_termfreq", termfreq)
    monkeypatch.setattr(RemoteShards, "allterms", allterms)
    monkeypatch.setattr(TypeCounts, "_spied", spied)
    counted = engine(sharded, served)
    for q in ("melanoma", "cancer interleukin", '"herniated disc"', "title:melanoma"):
        req = SearchRequest(q=q)
        same_page(counted.search(req), SearchEngine(one).search(req))
    words = {term(fd, w) for fd in (f.ALL, f.ASIDE, f.TITLE) for w in ("melanoma", "cancer")}
    assert not [a for a in asked if a in words or str(a).startswith(TF_PREFIX)]
    with pytest.raises(AssertionError, match="per type"):  # (the check can fail)
        SearchEngine(sharded, shards=joined(served[0])).search(SearchRequest(q="interleukin"))


def made_of_shards(index_dir) -> xapian.Database:  # noqa: ANN001
    db = xapian.Database()
    for path in shard_dirs(current_build(index_dir)):
        db.add_database(xapian.Database(str(path)))
    return db


def test_the_shards_send_the_postings_of_words_few_documents_hold(
    sharded,  # noqa: F811
    served,  # noqa: F811
    monkeypatch,
):
    """Each count server reads the postings of the field words asked `held` on its own shard;
    added up, they are those of the database made of the shards (docids and wdfs); a word
    more documents hold than MAX_HELD on a shard comes without (None)."""
    db = made_of_shards(sharded)
    held = [term(fd, w) for fd in (f.ASIDE, f.TITLE) for w in ("melanoma", "cancer")]
    held += [term(f.MESH_UI, "D008545"), term(f.TITLE, "znosuchword")]
    want = {k: postings(db, k, db.get_termfreq(k)) for k in held}
    assert any(len(set(w[1].tolist())) > 1 for w in want.values())  # several wdfs
    servers = CountServers(parse_addresses(joined(served[1])), 10.0)
    local = LocalCounters(shard_dirs(current_build(sharded)))
    try:
        for counters in (servers, local):
            got = counters.stats([], [], [""] * len(served[1]), held)["postings"]
            assert sorted(got) == sorted(held)
            for key, (docids, wdfs) in want.items():
                assert got[key][0].tolist() == docids.tolist()
                assert got[key][1].tolist() == wdfs.tolist()
        few = min(db.get_termfreq(k) for k in held[:4])
        monkeypatch.setattr(termstats, "MAX_HELD", few - 1)
        got = local.stats([], [], [""] * len(local.shards), held)["postings"]
        assert [k for k in held[:4] if got[k] is None]
    finally:
        local.close()


def test_the_types_of_words_whose_postings_are_read_are_counted_from_them(
    one,  # noqa: F811
    sharded,  # noqa: F811
    served,  # noqa: F811
    monkeypatch,
):
    """A count server counts the frequencies per type of the words whose postings it reads
    (held) from those postings, with no match per type; the same added-up answer as one
    database's."""
    want = expected(one_database(one))
    held = [term(field, "melanoma") for field in (f.ASIDE, f.TITLE)]  # (field words)
    assert all(k in WORDS for k in held)
    counted: list[str] = []
    plain = TypeCounts._count

    def count(self, key, type_term):  # noqa: ANN001, ANN202
        counted.append(key)
        return plain(self, key, type_term)

    monkeypatch.setattr(TypeCounts, "_count", count)
    servers = CountServers(parse_addresses(joined(served[1])), 10.0)
    local = LocalCounters(shard_dirs(current_build(sharded)))
    try:
        for counters in (servers, local):
            answer = counters.stats(WORDS, list(want["prefixes"]), [""] * len(served[1]), held)
            assert answer["terms"] == want["terms"]
        assert not [k for k in counted if k in held]  # (the local shards': in this process)
        local.close()
        monkeypatch.setattr(typestats, "RARE", 0)  # (none looked up as a rare term's)
        local = LocalCounters(shard_dirs(current_build(sharded)))
        local.stats(WORDS, [], [""] * len(local.shards))  # (not held: counted per type)
        assert [k for k in counted if k in held]
    finally:
        local.close()


def test_a_search_on_count_servers_reads_no_postings_of_the_shards(
    one,  # noqa: F811
    sharded,  # noqa: F811
    served,  # noqa: F811
    monkeypatch,
):
    """The field words' postings a translation reads come from the count servers (with the
    words' statistics), not from a match on every shard for each word."""
    plain = sources.postings

    def over_shards(db, key, count):  # noqa: ANN001, ANN202
        if isinstance(db, RemoteShards):
            raise AssertionError(f"{key}'s postings were read over the shards")
        return plain(db, key, count)

    monkeypatch.setattr(sources, "postings", over_shards)
    counted = engine(sharded, served)
    for q in ("melanoma", "title:melanoma cancer", "neoplasms", QUESTION):
        req = SearchRequest(q=q)
        same_page(counted.search(req), SearchEngine(one).search(req))
    with pytest.raises(AssertionError, match="over the shards"):  # (the check can fail)
        SearchEngine(sharded, shards=joined(served[0])).search(SearchRequest(q="title:melanoma"))


def test_a_questions_feedback_on_count_servers_ranks_as_one_database(
    one,  # noqa: F811
    sharded,  # noqa: F811
    served,  # noqa: F811
    monkeypatch,
):
    """(and the feedback reads its best records in one batch, not one round trip each)"""
    assert feedback.wanted(querymodel.shape(QUESTION), "relevance", len(QUESTION.split()))
    read = shard_reads(monkeypatch, "from_top")
    counted = engine(sharded, served)
    for page in (1, 2):
        req = SearchRequest(q=QUESTION, page=page, size=5)
        same_page(counted.search(req), SearchEngine(one).search(req))
    assert not read


def test_the_count_servers_documents_are_the_shards(sharded, served):  # noqa: F811
    db = made_of_shards(sharded)
    docids = [1, 2, 3, 5, 8, 13, db.get_lastdocid()]
    servers = CountServers(parse_addresses(joined(served[1])), 10.0)
    local = LocalCounters(shard_dirs(current_build(sharded)))
    try:
        for found in (
            servers.documents(docids, [""] * len(served[1])),
            local.documents(docids, [""] * len(served[1])),
        ):
            assert sorted(found) == docids
            for docid, doc in found.items():
                mine = db.get_document(docid)
                assert doc.get_data() == mine.get_data()
                assert [(v.num, v.value) for v in doc.values()] == [
                    (v.num, v.value) for v in mine.values() if v.num in DOCUMENT_SLOTS
                ]
    finally:
        local.close()


def test_documents_and_statistics_are_read_while_a_count_holds_the_shard(sharded):  # noqa: F811
    """A count server reads a page's documents and a search's statistics on a database handle
    of its own: they do not wait for the count sent before the page's ranking (here, a
    count holding the shard's counting handle until they are answered), nor for a second
    count waiting for that one."""
    counter = ShardCounter(shard_dirs(current_build(sharded))[0])
    answered: list[object] = []
    counted: list[object] = []
    melanoma = xapian.Query(term(f.ALL, "melanoma"))

    def read() -> None:
        answered.append(counter.documents([1, 2]))
        answered.append(counter.stats([term(f.ALL, "melanoma")], []))

    try:
        counter.current()
        with counter.counting:  # a count going on
            waiting = threading.Thread(
                target=lambda: counted.append(counter.count(melanoma, [Group((), ())])),
                daemon=True,
            )
            waiting.start()
            waiting.join(0.5)  # (it waits for the count going on)
            reading = threading.Thread(target=read, daemon=True)
            reading.start()
            reading.join(60.0)
            assert not reading.is_alive(), "the documents waited for the counts"
            assert not counted
        waiting.join(60.0)
        docs, stats = answered
        assert sorted(docs[1]["documents"]) == ["1", "2"]
        assert term(f.ALL, "melanoma") in stats[1]["terms"]
        assert counted[0] is not None and counted[0][1][0].total > 0
    finally:
        counter.close()


def test_a_page_on_count_servers_reads_no_document_of_the_shards(
    one,  # noqa: F811
    sharded,  # noqa: F811
    served,  # noqa: F811
    monkeypatch,
):
    read = shard_reads(monkeypatch, "_render")
    counted = engine(sharded, served)
    for page in (1, 2, 3):  # (past the first: MSet.fetch could not, its pages read each)
        req = SearchRequest(q="melanoma", page=page, size=4)
        got, want = counted.search(req), SearchEngine(one).search(req)
        same_page(got, want)
        shown = {h.id: (h.title, h.snippet, h.fields) for h in want.hits}
        assert [shown.get(h.id, (h.title, h.snippet, h.fields)) for h in got.hits] == [
            (h.title, h.snippet, h.fields) for h in got.hits
        ]
    assert not read
    SearchEngine(sharded, shards=joined(served[0])).search(SearchRequest(q="melanoma", page=2))
    assert read  # (the check can fail: without count servers a second page reads each)


def test_a_bad_statistics_request_gets_its_error_and_the_server_goes_on(served):  # noqa: F811
    server = served[1][0]
    good = json.dumps({"terms": WORDS, "prefixes": []}).encode()
    status, first = ask(server, "POST", "/stats", good)
    assert status == 200 and first["terms"][WORDS[0]][0] > 0
    for body in (
        {"terms": "melanoma", "prefixes": []},
        {"terms": [1, 2], "prefixes": []},
        {"terms": [""], "prefixes": []},
        {"terms": ["x" * (termstats.MAX_TEXT + 1)], "prefixes": []},
        {"terms": ["a"] * (termstats.MAX_TERMS + 1), "prefixes": []},
        {"terms": []},
    ):
        status, answer = ask(server, "POST", "/stats", json.dumps(body).encode())
        assert status == 400 and answer["error"], body
    for body in ({"docids": "1"}, {"docids": [0]}, {"docids": [True]}, {"docids": ["1"]},
                 {"docids": [1] * (termstats.MAX_DOCUMENTS + 1)}):  # fmt: skip
        status, answer = ask(server, "POST", "/documents", json.dumps(body).encode())
        assert status == 400 and answer["error"], body
    status, found = ask(server, "POST", "/documents", json.dumps({"docids": [1, 10**6]}).encode())
    assert status == 200 and list(found["documents"]) == ["1"]  # (a docid it lacks: left out)
    assert ask(server, "POST", "/stats", good) == (200, first)


def test_a_word_too_long_for_a_statistics_request_is_searched_as_one_database(
    one,  # noqa: F811
    sharded,  # noqa: F811
    served,  # noqa: F811
):
    long_word = "melanoma" + "x" * (termstats.MAX_TEXT + 10)
    for q in (long_word, f"melanoma {long_word}", f'"{long_word} melanoma"'):
        req = SearchRequest(q=q)
        same_page(engine(sharded, served).search(req), SearchEngine(one).search(req))
    terms, prefixes = termstats.wanted([qt.Term(f.ALL, "x" * 5_000)])
    assert terms == prefixes == []
