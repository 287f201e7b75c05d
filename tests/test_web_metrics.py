"""web/metrics.py: /metrics in Prometheus text format (requests and latency by route and
status, searches by mode, the index's records, generation and age, syncs), switched off by
the METRICS setting; one JSON access-log line per request."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from web import create_app


def scrape(client) -> dict[str, dict[tuple, float]]:
    """{sample name: {sorted label pairs: value}} of /metrics."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


@pytest.fixture
def fresh(index_dir):
    """An app of its own: counters start at zero."""
    return create_app({"INDEX_DIR": str(index_dir), "TESTING": True}).test_client()


def test_requests_and_latency_by_route_method_and_status(fresh):
    fresh.get("/api/search?q=melanoma")
    fresh.get("/api/search?q=melanoma&size=0")
    fresh.get("/api/records/NCT00003117")
    fresh.get("/api/records/NCT99999999")
    fresh.get("/no/such/page")
    m = scrape(fresh)
    requests = m["trials_http_requests_total"]
    route = lambda r, s: (("method", "GET"), ("route", r), ("status", s))  # noqa: E731
    assert requests[route("/api/search", "200")] == 1
    assert requests[route("/api/search", "400")] == 1
    assert requests[route("/api/records/<record_id>", "200")] == 1
    assert requests[route("/api/records/<record_id>", "404")] == 1
    assert requests[route("(unmatched)", "404")] == 1  # one series, not one per address
    assert m["trials_http_request_duration_seconds_count"][route("/api/search", "200")] == 1
    assert m["trials_http_request_duration_seconds_sum"][route("/api/search", "200")] > 0
    buckets = m["trials_http_request_duration_seconds_bucket"]
    assert buckets[tuple(sorted((*route("/api/search", "200"), ("le", "+Inf"))))] == 1
    assert "trials_http_requests_created" not in m


def test_searches_by_mode_and_source(fresh):
    fresh.get("/api/search?q=melanoma")
    fresh.get("/api/search?q=melanoma&expand=explode")
    fresh.get("/search?q=melanoma&expand=none")
    fresh.get("/export/search.csv?q=melanoma&limit=2")
    fresh.get("/api/search?q=melanoma&sort=sideways")  # refused: not a search
    searches = scrape(fresh)["trials_searches_total"]
    assert searches == {
        (("mode", "synonyms"), ("source", "api")): 1,
        (("mode", "explode"), ("source", "api")): 1,
        (("mode", "none"), ("source", "page")): 1,
        (("mode", "synonyms"), ("source", "export")): 1,
    }


def test_index_records_generation_and_age(fresh, build_report):
    m = scrape(fresh)
    assert m["trials_index_up"] == {(): 1}
    records = {dict(k)["type"]: v for k, v in m["trials_index_records"].items()}
    assert records == build_report["counts"]
    built = datetime.fromisoformat(build_report["built_at"]).timestamp()
    assert m["trials_index_generation"] == {(): built}
    (age,) = m["trials_index_last_change_age_seconds"].values()
    assert 0 <= age < 24 * 3600
    assert "trials_sync_last_run_age_seconds" not in m  # never synced


def test_seconds_since_the_last_sync_per_source(index_dir, tmp_path):
    """An index folder whose `current` is the fixture build and whose sync state says when
    each source last ran (as `python -m indexer sync` writes it)."""
    (tmp_path / "current").symlink_to((index_dir / "current").resolve())
    (tmp_path / "sync").mkdir()
    state = {"ctgov": {"last_run": {"at": "2020-01-01T00:00:00+00:00", "added": 3}},
             "pubmed": {"last_run": {"at": datetime.now().astimezone().isoformat()}},
             "mesh": {}}  # fmt: skip
    (tmp_path / "sync" / "state.json").write_text(json.dumps(state))
    client = create_app({"INDEX_DIR": str(tmp_path), "TESTING": True}).test_client()
    ages = {
        dict(k)["source"]: v for k, v in scrape(client)["trials_sync_last_run_age_seconds"].items()
    }
    assert set(ages) == {"ctgov", "pubmed"}
    assert ages["ctgov"] > 6 * 365 * 24 * 3600
    assert 0 <= ages["pubmed"] < 3600


def test_no_index_is_reported_as_down(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path), "TESTING": True}).test_client()
    m = scrape(client)
    assert m["trials_index_up"] == {(): 0}
    assert "trials_index_records" not in m


def test_the_setting_switches_metrics_off(index_dir):
    client = create_app({"INDEX_DIR": str(index_dir), "METRICS": False}).test_client()
    response = client.get("/metrics")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "trials_" not in response.get_data(as_text=True)


def test_openmetrics_when_asked_for(fresh):
    response = fresh.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.mimetype == "application/openmetrics-text"
    assert response.get_data(as_text=True).endswith("# EOF\n")


def test_one_json_access_log_line_per_request(fresh, caplog):
    with caplog.at_level(logging.INFO, logger="web.access"):
        fresh.get("/api/records/NCT00003117/related?limit=2")
        fresh.get("/trial/NCT99999999")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "web.access"]
    assert [(x["method"], x["path"], x["route"], x["status"]) for x in lines] == [
        ("GET", "/api/records/NCT00003117/related", "/api/records/<record_id>/related", 200),
        ("GET", "/trial/NCT99999999", "/trial/<nct>", 404),
    ]
    assert all(x["duration_ms"] > 0 and x["bytes"] > 0 for x in lines)
    assert datetime.fromisoformat(lines[0]["time"]).tzinfo is not None


def test_the_access_log_can_be_switched_off(index_dir, caplog):
    client = create_app({"INDEX_DIR": str(index_dir), "ACCESS_LOG": False}).test_client()
    with caplog.at_level(logging.INFO, logger="web.access"):
        client.get("/api/health")
    assert not [r for r in caplog.records if r.name == "web.access"]
