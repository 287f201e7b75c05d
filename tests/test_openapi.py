"""web/openapi.py and web/apidocs.py: the description validates as OpenAPI 3.1, describes every
route of the app with parameters from the code's own tables, and is rendered offline by
Swagger UI at /api/docs. (conftest.py checks every response of the suite against it.)"""

from __future__ import annotations

import re

import lxml.html
import pytest
from openapi_check import SpecMismatch, check, template
from openapi_spec_validator import validate
from openapi_spec_validator.versions.shortcuts import get_spec_version

from search import EXPANSIONS, FACETS, SORTS, closed_values


@pytest.fixture(scope="module")
def spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def parameters(spec: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def test_the_description_is_valid_openapi_3_1(spec):
    validate(spec)
    assert str(get_spec_version(spec)) == "OpenAPIV3.1"


def test_every_route_of_the_app_is_described(app, spec):
    routes = {
        (template(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.endswith("static")  # files: the site's and Swagger UI's
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(path, m.upper()) for path, ops in spec["paths"].items() for m in ops}
    assert routes <= described, routes - described
    assert described <= routes, described - routes  # nothing described that is not served
    assert {
        "/api/search",
        "/api/records/{record_id}",
        "/api/records/{record_id}/related",
        "/api/health",
        "/export/search.{fmt}",
        "/metrics",
    } <= {p for p, _ in routes}


def test_parameters_come_from_the_facet_table_sorts_and_modes(app, spec):
    search = parameters(spec, "/api/search")
    assert [d.name for d in FACETS] == [n for n in search if n in {d.name for d in FACETS}]
    for d in FACETS:
        items = search[d.name]["schema"]["items"]
        assert items.get("enum", []) == list(closed_values(d.name)), d.name
        assert search[d.name]["explode"] is True
    assert search["phase"]["schema"]["items"]["enum"][:2] == ["EARLY_PHASE1", "PHASE1"]
    assert set(search["type"]["schema"]["items"]["enum"]) == {"trial", "article", "mesh"}
    assert "enum" not in search["status"]["schema"]["items"]  # an open vocabulary
    assert search["sort"]["schema"]["enum"] == list(SORTS)
    assert search["expand"]["schema"]["enum"] == list(EXPANSIONS)
    assert search["size"]["schema"]["maximum"] == app.config["MAX_PAGE_SIZE"]
    assert parameters(spec, "/export/search.{fmt}")["fmt"]["schema"]["enum"] == [
        "csv", "ris", "json"]  # fmt: skip
    assert parameters(spec, "/api/records/{record_id}/related")["limit"]["schema"] == {
        "type": "integer", "minimum": 1, "maximum": 50, "default": 10}  # fmt: skip


def test_every_json_operation_documents_its_errors(spec):
    for path, ops in spec["paths"].items():
        responses = ops["get"]["responses"]
        assert ("200" in responses or "302" in responses) and "500" in responses, path
        if path.startswith("/api/") and path not in ("/api/docs", "/api/openapi.json"):
            errors = [c for c in responses if c[0] in "45" and path != "/api/health"]
            for code in errors:
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (path, code)


def test_a_response_the_description_does_not_allow_is_caught(spec):
    good = b'{"error": "No record has the id \'X\'.", "status": 404}'
    check(spec, "/api/records/{record_id}", "GET", 404, "application/json", good)
    with pytest.raises(SpecMismatch, match="'error' is a required property"):
        check(spec, "/api/records/{record_id}", "GET", 404, "application/json", b'{"status": 404}')
    with pytest.raises(SpecMismatch, match="status 418 is not documented"):
        check(spec, "/api/search", "GET", 418, "application/json", good)
    with pytest.raises(SpecMismatch, match="text/html is not documented"):
        check(spec, "/api/search", "GET", 400, "text/html", b"<p>")
    hit = b'{"total": 1, "page": 1, "size": 10, "hits": [{"id": "1"}], "facets": {}, ' \
          b'"suggestion": null, "query": {"parsed": "", "expanded": []}, ' \
          b'"partial": false, "more": 0, "query_used": "", "corrected_from": null, ' \
          b'"strong": null, "reading": null}'  # fmt: skip
    with pytest.raises(SpecMismatch, match=r"'type' is a required property at \['hits', 0\]"):
        check(spec, "/api/search", "GET", 200, "application/json", hit)


def test_metrics_described_as_switched_off_when_it_is(index_dir):
    from web import create_app

    off = create_app({"INDEX_DIR": str(index_dir), "TESTING": True, "METRICS": False})
    spec = off.test_client().get("/api/openapi.json").get_json()
    assert spec["paths"]["/metrics"]["get"]["summary"].endswith("(switched off: METRICS)")


def test_the_api_page_renders_the_description_with_local_files_only(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    doc = lxml.html.fromstring(page.get_data(as_text=True))
    sources = doc.xpath("//script/@src") + doc.xpath("//link[@rel='stylesheet']/@href")
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    assert not [s for s in doc.xpath("//script") if (s.text or "").strip()]  # no inline script
    assert doc.xpath("//div[@id='swagger-ui']/@data-url") == ["/api/openapi.json"]
    for src in sources:
        with client.get(src) as asset:
            assert asset.status_code == 200 and len(asset.data) > 300, src
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as asset:
        bundle = asset.get_data(as_text=True)
    assert re.search(r"openapi.{0,40}3\.1", bundle)  # Swagger UI 5 reads OpenAPI 3.1


def test_the_footer_links_the_api_page(client):
    doc = lxml.html.fromstring(client.get("/").get_data(as_text=True))
    assert doc.xpath("//footer//a[@href='/api/docs']/text()") == ["JSON API"]
