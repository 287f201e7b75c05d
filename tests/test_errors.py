"""web/errors.py: whatever a user types is answered with 200 or a 400 sentence, never a 500;
unknown ids and routes are 404; no index is 503; the unexpected is a logged 500."""

from __future__ import annotations

import logging

import lxml.html
import pytest

from web import create_app

ODD_QUERIES = [
    '"unbalanced quote',
    'two "unbalanced" "quotes',
    "(unbalanced parenthesis",
    "closing) paren)",
    "((((((((((",
    "NOT",
    "NOT NOT",
    "melanoma NOT",
    "AND",
    "OR OR",
    "a AND AND b",
    "*",
    "me*",
    "?",
    "x" * 10_000,
    "melanoma " * 1_000,
    "\x00\x01\x02\x1f\x7f",
    "melanoma\x00cancer",
    "\u202eRTL override",
    "<script>alert(1)</script>",
    "foo:bar",
    "title:",
    ":",
    "year:abc",
    "year:2020..1990",
    "phase:xyz",
    "[a TO b]",
    "{}",
    "^~\\",
    "melanoma~2",
    "'\"`",
    "%00%",
    "🧬 cancer",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "ＮＣＴ００００２８４５",
]
BAD_PARAMETERS = [
    ("page=abc", "page must be a whole number, not 'abc'."),
    ("page=0", "page must be 1 or more."),
    ("page=-1", "page must be a whole number, not '-1'."),
    ("page=99999999999", "page is too large: 99999999999."),
    ("size=1000", "size must be between 1 and 100, not 1000."),
    ("size=0", "size must be between 1 and 100, not 0."),
    ("size=2.5", "size must be a whole number, not '2.5'."),
    ("sort=x", "sort must be one of relevance, newest, oldest, not 'x'."),
    ("expand=all", "expand must be one of none, synonyms, explode, not 'all'."),
]


@pytest.mark.parametrize("expand", ["synonyms", "explode"])
@pytest.mark.parametrize("q", ODD_QUERIES, ids=lambda q: repr(q[:24]))
def test_odd_queries_are_200_or_400_never_500(client, q, expand):
    response = client.get("/api/search", query_string={"q": q, "expand": expand})
    assert response.status_code in (200, 400)
    data = response.get_json()
    if response.status_code == 400:
        assert list(data) == ["error", "status"] and data["status"] == 400
        assert data["error"].endswith(".") and "\n" not in data["error"]
    page = client.get("/search", query_string={"q": q, "expand": expand})
    assert page.status_code == response.status_code


def test_odd_queries_give_one_sentence(client):
    def error(q: str) -> str:
        response = client.get("/api/search", query_string={"q": q})
        assert response.status_code == 400
        return response.get_json()["error"]

    assert error("x" * 10_000) == "Your query is 10,000 characters long; the limit is 4,000."
    assert error("NOT") == "The query has nothing to search for (only stop words or NOT)."
    assert error("foo:bar").startswith("Unknown field 'foo:'. Fields you can use: author,")


@pytest.mark.parametrize(("query", "sentence"), BAD_PARAMETERS)
def test_bad_parameters_are_400_with_a_sentence(client, query, sentence):
    response = client.get(f"/api/search?q=melanoma&{query}")
    assert response.status_code == 400
    assert response.get_json() == {"error": sentence, "status": 400}
    page = client.get(f"/search?q=melanoma&{query}")
    assert page.status_code == 400
    assert sentence.replace("'", "&#39;") in page.get_data(as_text=True)


def test_unknown_parameter_or_facet_is_400(client):
    data = client.get("/api/search?q=melanoma&colour=red").get_json()
    assert data["status"] == 400
    assert data["error"].startswith("Unknown parameter 'colour': use q, page, size, sort,")
    assert "type, status, phase" in data["error"]


def test_odd_facet_values_are_fine(client):
    for value in ("", "\x00", "<script>", "x" * 5000):
        response = client.get("/api/search", query_string={"q": "melanoma", "mesh": value})
        assert response.status_code == 200
    empty = client.get("/api/search?q=melanoma&type=").get_json()
    assert empty["total"] == client.get("/api/search?q=melanoma").get_json()["total"]


def test_script_is_escaped_in_html(client):
    payload = "<script>alert(1)</script>"
    for url in ("/search", "/"):
        response = client.get(url, query_string={"q": payload, "status": payload})
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<script" not in body
    body = client.get("/search", query_string={"q": payload}).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    doc = lxml.html.fromstring(body)
    assert doc.xpath("//input[@id='q']")[0].get("value") == payload
    bad = client.get("/search", query_string={"q": "foo:<b>x</b>"})
    assert bad.status_code == 400 and "<b>" not in bad.get_data(as_text=True)


def test_unknown_record_is_404_json(client):
    response = client.get("/api/records/NCT99999999")
    assert response.status_code == 404
    assert response.get_json() == {"error": "No record has the id 'NCT99999999'.", "status": 404}


def test_unknown_routes_are_404(client):
    api = client.get("/api/nothing-here")
    assert (api.status_code, api.get_json()) == (
        404, {"error": "There is no page at this address.", "status": 404})  # fmt: skip
    page = client.get("/nothing-here")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "There is no page at this address." in page.get_data(as_text=True)
    post = client.post("/api/search")
    assert (post.status_code, post.get_json()["status"]) == (405, 405)


def test_no_index_is_503_with_the_build_command(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path), "TESTING": True}).test_client()
    for url in ("/", "/search?q=melanoma"):
        page = client.get(url)
        assert page.status_code == 503
        text = " ".join(lxml.html.fromstring(page.get_data(as_text=True)).text_content().split())
        assert f"python -m indexer build --index {tmp_path} data/sample" in text
    for url in ("/api/search?q=melanoma", "/api/records/NCT00002845"):
        data = client.get(url).get_json()
        assert data["status"] == 503
        assert data["error"].startswith(f"No index in {tmp_path}: run `python -m indexer build")
    health = client.get("/api/health")
    assert health.status_code == 503
    assert health.get_json()["status"] == "no index"
    assert health.get_json()["error"].startswith(f"No index in {tmp_path}")


def test_unexpected_errors_are_logged_500s(index_dir, caplog):
    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True})

    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/api/broken", view_func=broken)
    app.add_url_rule("/broken", view_func=broken)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        api = client.get("/api/broken")
        page = client.get("/broken")
    assert api.status_code == 500
    assert api.get_json() == {
        "error": "Something went wrong on our side; the error has been logged.",
        "status": 500,
    }
    assert page.status_code == 500 and "Server error" in page.get_data(as_text=True)
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 2 and "GET /api/broken" in logged[0].getMessage()
    assert isinstance(logged[0].exc_info[1], RuntimeError)
