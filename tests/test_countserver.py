"""Count servers (search/xapian/countserver.py): one real process per shard on 127.0.0.1
beside the shards' real `xapian-tcpsrv`, started and stopped here. The totals and facet counts
they give a web node equal one database's and the match spies' (the fixtures of
tests/test_shards.py); an update is counted once switched in; a count server killed or
stalled gives a 503 naming it, then service again; /api/health lists them; a bad request is
answered with its error and the server goes on."""

from __future__ import annotations

import base64
import http.client
import json
import shutil
from pathlib import Path

import pytest
import xapian
from shardservers import countserver, tcpsrv
from test_shards import (  # noqa: F401 (fixtures)
    NEW_SOURCES,
    QUERIES,
    SHARDS,
    TWO_FILTERS,
    notice,
    one,
    same_page,
    sharded,
)

from indexer.update import update_index
from search import fields as f
from search import querytree as qt
from search.engine import SearchEngine
from search.models import SearchRequest
from search.xapian import counting
from search.xapian.counting import MAX_GROUPS
from search.xapian.countserver import MAX_BODY
from search.xapian.matching import value_range
from search.xapian.schema import term
from search.xapian.shardcounter import ShardCounter
from search.xapian.shardsearch import ShardSearch
from web import create_app

# multi-select, two facets, a range of years (each shard's own years), the partial matches
# after the full ones (`melanoma pevisone`: no record has both words)
REQUESTS = [
    {},
    {"filters": (("type", ("trial", "article")),)},
    {"filters": TWO_FILTERS},
    {"filters": (("pub_year", ("1970..1985",)), ("type", ("article",)))},
    {"filters": (("start_year", ("..1999", "2005")),)},
    {"page": 2, "size": 3},
]


def serve(index_dir: Path) -> tuple[list, list]:
    """A tcpsrv and a count server per live shard, each on DIR/current/shards/K."""
    paths = [index_dir / "current" / "shards" / str(k) for k in range(SHARDS)]
    return [tcpsrv(p) for p in paths], [countserver(p) for p in paths]


def stop(*groups: list) -> None:
    for group in groups:
        for server in group:
            server.stop()


def joined(servers: list) -> str:
    return ",".join(s.address for s in servers)


@pytest.fixture(scope="module")
def served(sharded):  # noqa: F811
    shards, counters = serve(sharded)
    yield shards, counters
    stop(shards, counters)


def engine(index_dir: Path, served: tuple[list, list], **options) -> SearchEngine:
    shards, counters = served
    return SearchEngine(index_dir, shards=joined(shards), counters=joined(counters), **options)


@pytest.mark.parametrize("q", QUERIES)
def test_count_servers_count_as_one_database_and_as_the_spies(one, sharded, served, q):  # noqa: F811
    counted = engine(sharded, served)
    spied = SearchEngine(sharded, shards=joined(served[0]))
    for options in REQUESTS:
        req = SearchRequest(q=q, **options)
        expected = SearchEngine(one).search(req)
        same_page(counted.search(req), expected)
        same_page(spied.search(req), expected)


def test_with_count_servers_the_shards_run_no_spy(one, sharded, served, monkeypatch):  # noqa: F811
    def spying(*args):  # noqa: ANN002, ANN202
        raise AssertionError("a match spy ran")

    counted = engine(sharded, served)
    monkeypatch.setattr(ShardSearch, "_spied", spying)
    for q in ("melanoma", "melanoma pevisone", "cancer year:1977..1979"):
        req = SearchRequest(q=q, filters=TWO_FILTERS)
        same_page(counted.search(req), SearchEngine(one).search(req))
    with pytest.raises(AssertionError, match="spy"):  # (the check can fail)
        SearchEngine(sharded, shards=joined(served[0])).search(SearchRequest(q="melanoma"))


def ask(server, method: str, path: str, body: bytes | None = None, headers=None):  # noqa: ANN001, ANN201
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def count_body(build: str = "", query: xapian.Query | None = None, **group) -> bytes:
    query = query if query is not None else xapian.Query("melanoma")
    text = base64.b64encode(query.serialise()).decode("ascii")
    groups = [{"filters": [], "fields": ["type"], **group}]
    return json.dumps({"query": text, "build": build, "groups": groups}).encode()


def test_a_group_minus_the_main_query_counts_its_and_not(served):
    """A group's query `minus` the main query counts what their AND NOT matches (the count
    of the partial matches after the full ones, the main query matched once)."""
    q = xapian.Query
    words = [q(term(f.ALL, w)) for w in ("melanoma", "cancer", "interleukin")]
    loose, main = q(q.OP_OR, words), q(q.OP_AND, words[:2])

    def counted(group_query: xapian.Query, **group) -> list:  # noqa: ANN003
        body = json.loads(count_body("", main, **group))
        body["groups"][0]["query"] = base64.b64encode(group_query.serialise()).decode("ascii")
        status, answer = ask(served[1][0], "POST", "/count", json.dumps(body).encode())
        assert status == 200, answer
        return answer["groups"]

    minus = counted(loose, minus=True)
    assert minus == counted(q(q.OP_AND_NOT, loose, main))
    assert 0 < minus[0]["total"] < counted(loose)[0]["total"]


def test_a_group_of_only_a_total_is_counted_without_reading_its_docids(sharded, monkeypatch):  # noqa: F811
    """A group with its own query and no fields, filters or minus (the partial matches of a
    search without filters: search/xapian/shardsearch.py) is counted by Xapian, no mask made,
    and its total is the mask's."""
    q = xapian.Query
    words = [q(term(f.ALL, w)) for w in ("melanoma", "cancer", "interleukin")]
    loose, main = q(q.OP_OR, words), q(q.OP_AND, words[:2])
    shard = ShardCounter(sharded / "current" / "shards" / "0")
    try:
        expected = shard.count(main, [counting.Group((), ("type",), loose)])[1][0].total
        assert expected > 0

        def masking(*args):  # noqa: ANN002, ANN202
            raise AssertionError("a mask was made")

        monkeypatch.setattr(counting, "match_mask", masking)
        found = shard.count(main, [counting.Group((), (), loose)])[1][0]
        assert found == counting.Counted(expected, {})
        with pytest.raises(AssertionError, match="mask"):  # (the check can fail)
            shard.count(main, [counting.Group((), ("type",), loose)])
    finally:
        shard.close()


def test_a_group_of_several_fields_is_counted_in_one_pass(sharded, monkeypatch):  # noqa: F811
    """A group's fields are counted over the joined table of every field's values
    (Tables.counts_every) when its documents are few, as each field alone counts them."""
    from search.xapian.tables import Tables

    shard = ShardCounter(sharded / "current" / "shards" / "0")
    fields = (f.TYPE, f.MESH_UI, f.PUB_TYPE, counting.EVERY_TYPE)
    try:
        main = xapian.Query(term(f.ALL, "melanoma"))
        db, tables = shard.current().db, shard.current().tables
        within = counting.match_mask(db, main, tables.size)
        alone = {x: tables.count(f.TYPE if x == counting.EVERY_TYPE else x, within) for x in fields}
        assert all(alone.values())

        def per_field(*args):  # noqa: ANN002, ANN202
            raise AssertionError("counted field by field")

        monkeypatch.setattr(Tables, "count", per_field)
        found = shard.count(main, [counting.Group((), fields)])[1][0]
        assert found == counting.Counted(int(within.sum()), alone)
    finally:
        shard.close()


def test_ranges_are_counted_from_the_arrays_as_xapian_matches_them(served):
    """A request's (and a group's) numeric ranges restrict its query's matches as the same
    query AND'ed with Xapian's value range does (the year of `cancer year:1977..1979`)."""
    q = xapian.Query
    words = [q(term(f.ALL, w)) for w in ("melanoma", "cancer", "interleukin")]
    loose, main = q(q.OP_OR, words), q(q.OP_OR, words[1:])
    year = value_range(qt.Range(f.YEAR, 1977, 1985))

    def counted(query: xapian.Query, **extra) -> list:  # noqa: ANN003
        body = json.loads(count_body("", query, fields=["type", "pub_year"]))
        body.update(extra)
        status, answer = ask(served[1][0], "POST", "/count", json.dumps(body).encode())
        assert status == 200, answer
        return answer["groups"]

    found = counted(main, ranges=[[f.YEAR, 1977, 1985]])
    assert found == counted(q(q.OP_AND, main, year))
    assert 0 < found[0]["total"] < counted(main)[0]["total"]
    text = base64.b64encode(loose.serialise()).decode("ascii")
    group = {"filters": [], "fields": [], "query": text, "minus": True,
             "ranges": [[f.YEAR, 1977, 1985]]}  # fmt: skip
    body = {"query": base64.b64encode(main.serialise()).decode("ascii"), "build": "",
            "groups": [group], "ranges": [[f.YEAR, 1977, 1985]]}  # fmt: skip
    status, answer = ask(served[1][0], "POST", "/count", json.dumps(body).encode())
    expected = q(q.OP_AND_NOT, q(q.OP_AND, loose, year), q(q.OP_AND, main, year))
    assert status == 200 and answer["groups"][0]["total"] == counted(expected)[0]["total"]
    for bad in ([["type", 1, 2]], [[f.YEAR, "1977", None]], [[f.YEAR, 1]], "year"):
        body = {**json.loads(count_body("")), "ranges": bad}
        status, answer = ask(served[1][0], "POST", "/count", json.dumps(body).encode())
        assert status == 400 and "range" in answer["error"], (bad, answer)


def test_a_bad_request_gets_its_error_and_the_server_goes_on(served):
    server = served[1][0]
    status, good = ask(server, "POST", "/count", count_body())
    assert status == 200 and good["groups"][0]["total"] > 0
    bad = [
        ("POST", "/count", b"not json", {}),
        ("POST", "/count", b"[1, 2]", {}),
        ("POST", "/count", json.dumps({"query": "@@", "groups": []}).encode(), {}),
        ("POST", "/count", count_body(fields=["nosuchfield"]), {}),
        ("POST", "/count", count_body(filters=[["nosuchfacet", ["x"]]]), {}),
        ("POST", "/count", count_body(filters="melanoma"), {}),
        ("POST", "/count", count_body(minus="yes"), {}),
        (
            "POST",
            "/count",
            json.dumps({"query": "", "groups": [{}] * (MAX_GROUPS + 1)}).encode(),
            {},
        ),
        ("GET", "/nothing", None, {}),
    ]
    for method, path, body, headers in bad:
        status, answer = ask(server, method, path, body, headers)
        assert status in (400, 404) and answer["error"], (body, answer)
    # a body over the limit is refused before it is read
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest("POST", "/count")
    conn.putheader("Content-Length", str(MAX_BODY + 1))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    assert ask(server, "POST", "/count", count_body()) == (200, good)
    status, info = ask(server, "GET", "/status")
    assert status == 200 and info["status"] == "ok" and info["documents"] > 0


def test_the_web_reads_count_servers_from_its_settings_or_the_index_folder(
    one,  # noqa: F811
    served,
    tmp_path,
):
    shards, counters = served
    plain = create_app({"INDEX_DIR": str(one), "TESTING": True}).test_client()
    expected = plain.get("/api/search?q=neoplasms&type=trial").get_json()
    (tmp_path / "shards.txt").write_text(joined(shards).replace(",", "\n"))
    (tmp_path / "counters.txt").write_text(
        "# count servers\n" + joined(counters).replace(",", "\n")
    )
    for config in (
        {"SHARDS": joined(shards), "COUNTERS": joined(counters)},
        {"INDEX_DIR": str(tmp_path)},
    ):
        client = create_app({**config, "TESTING": True}).test_client()
        got = client.get("/api/search?q=neoplasms&type=trial").get_json()
        assert (got["total"], got["facets"]) == (expected["total"], expected["facets"])
        health = client.get("/api/health")
        assert health.status_code == 200
        listed = health.get_json()["counters"]
        assert [c["counter"] for c in listed] == [c.address for c in counters]
        assert {c["status"] for c in listed} == {"ok"}
        assert [c["build"] for c in listed] == [s["build"] for s in health.get_json()["shards"]]


def test_web_refuses_count_servers_it_cannot_use(served):
    from web.__main__ import main as web_main

    for args in (
        ["--counters", "no-port-here"],
        ["--shards", joined(served[0]), "--counters", "127.0.0.1:1"],
    ):
        with pytest.raises(SystemExit) as stop_:
            web_main(args)
        assert stop_.value.code == 2


def test_a_count_server_down_or_stalled_gives_503_then_service_resumes(sharded, served):  # noqa: F811
    shards, _ = served
    counters = [countserver(sharded / "current" / "shards" / str(k)) for k in range(SHARDS)]
    try:
        config = {"SHARDS": joined(shards), "COUNTERS": joined(counters), "SHARD_TIMEOUT": 1}
        client = create_app({**config, "TESTING": True}).test_client()
        assert client.get("/api/search?q=melanoma").status_code == 200
        counters[1].stop()  # killed: its kept connection breaks, a new one is refused
        down = client.get("/api/search?q=melanoma")
        assert down.status_code == 503 and counters[1].address in down.get_json()["error"]
        page = client.get("/search?q=melanoma")
        assert page.status_code == 503 and "Index unavailable" in page.get_data(as_text=True)
        health = client.get("/api/health")
        assert health.status_code == 503
        states = {c["counter"]: c["status"] for c in health.get_json()["counters"]}
        assert states == {
            counters[0].address: "ok",
            counters[1].address: "down",
            counters[2].address: "ok",
        }
        counters[1].start()  # back on its port
        assert client.get("/api/search?q=melanoma").status_code == 200
        counters[2].pause()  # takes connections, never answers: the timeout ends the wait
        stalled = client.get("/api/search?q=cancer")
        assert stalled.status_code == 503 and "within 1 second" in stalled.get_json()["error"]
        assert client.get("/api/records/NCT00002845").status_code == 200  # tcpsrv serves it
        counters[2].resume()
        assert client.get("/api/search?q=cancer").status_code == 200
        assert client.get("/api/health").status_code == 200
    finally:
        stop(counters)


def test_an_update_is_counted_once_switched_in(one, sharded, tmp_path):  # noqa: F811
    single, split = tmp_path / "one", tmp_path / "split"
    shutil.copytree(one, single, symlinks=True)
    shutil.copytree(sharded, split, symlinks=True)
    served = serve(split)
    try:
        remote = engine(split, served, shard_recheck=0)
        spied = SearchEngine(split, shards=joined(served[0]), shard_recheck=0)
        old_build = (split / "current").resolve().name
        assert remote.search(SearchRequest(q="")).total == 69
        changes = [str(p) for p in [*NEW_SOURCES, notice(tmp_path)]]
        update_index(changes, single)
        update_index(changes, split)
        for q in QUERIES:
            for options in REQUESTS[:3]:
                req = SearchRequest(q=q, **options)
                expected = SearchEngine(single).search(req)
                same_page(remote.search(req), expected)
                same_page(spied.search(req), expected)
        assert remote.search(SearchRequest(q="")).total == 69 + 8 - 1
        # a web node still on the previous build is counted on it; a build never held: 409
        new = ask(served[1][0], "POST", "/count", count_body())
        old = ask(served[1][0], "POST", "/count", count_body(old_build))
        assert new[0] == old[0] == 200 and old[1]["build"] == old_build != new[1]["build"]
        assert ask(served[1][0], "POST", "/count", count_body("no-such-build"))[0] == 409
    finally:
        stop(*served)


def test_local_shards_count_in_process_with_the_same_code(one, sharded, monkeypatch):  # noqa: F811
    """A local sharded build (each shard ranked by its xapian-progsrv) is counted in the web
    process, each shard on its own database with the count servers' code: no spy."""

    def spying(*args):  # noqa: ANN002, ANN202
        raise AssertionError("a match spy ran")

    monkeypatch.setattr(ShardSearch, "_spied", spying)
    local = SearchEngine(sharded)
    local.warm()
    for q in ("melanoma", "melanoma pevisone", "cancer interleukin"):
        for options in REQUESTS:
            req = SearchRequest(q=q, **options)
            same_page(local.search(req), SearchEngine(one).search(req))


def test_with_count_servers_the_web_node_reads_only_the_facets_ranking_needs(
    one,  # noqa: F811
    sharded,  # noqa: F811
    served,
):
    """Warm, a web node with count servers reads each document's type and years (the ranking
    filters by them), never the other facets' values over the shards: those are counted on
    the count servers."""
    counted = engine(sharded, served)
    counted.warm()
    for q in ("melanoma", "cancer year:1977..1979", "neoplasms"):
        for options in REQUESTS:
            req = SearchRequest(q=q, **options)
            same_page(counted.search(req), SearchEngine(one).search(req))
    reader = counted.reader()
    with reader.lock:
        assert set(reader.state().tables._facets) == {"type", "start_year", "pub_year"}


def test_a_count_server_refuses_to_start_without_a_database(tmp_path):
    from search.xapian.countserver import main

    with pytest.raises(SystemExit) as stopped:
        main(["--db", str(tmp_path / "nothing"), "--port", "0"])
    assert stopped.value.code == 2


def test_a_search_stopped_by_a_shard_leaves_no_count_unread(one, sharded):  # noqa: F811
    """A shard server that fails while the count servers count (their answers sent, not yet
    read): the 503, then, once it is back, the next searches' counts are their own (not the
    stopped search's answers, left on the kept connections)."""
    shards, counters = serve(sharded)
    try:
        config = {"SHARDS": joined(shards), "COUNTERS": joined(counters), "SHARD_TIMEOUT": 2,
                  "SHARD_RECHECK": 600}  # fmt: skip
        client = create_app({**config, "TESTING": True}).test_client()
        plain = create_app({"INDEX_DIR": str(one), "TESTING": True}).test_client()
        # (a fielded word: no MeSH expansion reads the shards before the counts are sent)
        assert client.get("/api/search?q=title:melanoma").status_code == 200
        shards[1].pause()  # the counts are sent, then the ranking waits for it
        assert client.get("/api/search?q=title:melanoma").status_code == 503
        shards[1].resume()
        for q in ("neoplasms", "melanoma", "cancer"):
            got, expected = client.get(f"/api/search?q={q}"), plain.get(f"/api/search?q={q}")
            assert got.status_code == 200
            assert (got.get_json()["total"], got.get_json()["facets"]) == (
                expected.get_json()["total"],
                expected.get_json()["facets"],
            )
    finally:
        stop(shards, counters)
