"""What an operator's monitoring reads: /metrics in Prometheus text format, and one JSON
access-log line per request.

prometheus_client (the Prometheus project's own client) keeps the counters and the latency
histogram thread-safe under waitress's threads and writes the exposition format (escaping,
histogram buckets, content negotiation with OpenMetrics) that a home-made writer would have to
get right by itself. Each app has its own registry, so several apps in one process (the tests)
never share or clash. The index figures are read when Prometheus scrapes, not kept.

Shards: the site reads one local index; there are no shards yet, so no shard metrics.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from search import SearchError, SearchRequest

ACCESS = logging.getLogger("web.access")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED = "(unmatched)"  # a request no route matched (a 404): one label, not one per path
SYNC_STATE = Path("sync") / "state.json"  # written by `python -m indexer sync` (README)

bp = Blueprint("metrics", __name__)


def _seconds(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class IndexCollector:
    """Index figures at scrape time: records per type, generation, age, syncs."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list:
        return []  # collected on demand only (the index may not exist at registration)

    def collect(self):
        up = GaugeMetricFamily("trials_index_up", "1 when an index is being served, else 0.")
        try:
            info = self.app.extensions["search"].status()
        except SearchError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        records = GaugeMetricFamily(
            "trials_index_records", "Records in the live index, by type.", labels=["type"]
        )
        for kind, n in sorted(info["counts"].items()):
            records.add_metric([kind], n)
        yield records
        changes = [s for s in (_seconds(info.get("built_at")), _seconds(info.get("updated_at")))
                   if s is not None]  # fmt: skip
        if changes:
            generation = max(changes)
            yield GaugeMetricFamily(
                "trials_index_generation",
                "The live index generation: Unix time its build or update was switched in "
                "(a new value at every build and update).",
                value=generation,
            )
            yield GaugeMetricFamily(
                "trials_index_last_change_age_seconds",
                "Seconds since the last build or update was switched in.",
                value=max(0.0, time.time() - generation),
            )
        yield from self._syncs()

    def _syncs(self):
        path = Path(self.app.config["INDEX_DIR"]) / SYNC_STATE
        try:
            state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        age = GaugeMetricFamily(
            "trials_sync_last_run_age_seconds",
            "Seconds since `indexer sync` last completed for a source.",
            labels=["source"],
        )
        for source, entry in sorted(state.items()):
            at = (
                _seconds((entry.get("last_run") or {}).get("at"))
                if isinstance(entry, dict)
                else None
            )
            if at is not None:
                age.add_metric([source], max(0.0, time.time() - at))
        yield age


class Metrics:
    """The app's registry and instruments (app.extensions["metrics"])."""

    def __init__(self, app: Flask) -> None:
        self.registry = CollectorRegistry()
        labels = ["route", "method", "status"]
        self.requests = Counter(
            "trials_http_requests", "HTTP requests answered.", labels, registry=self.registry
        )
        self.latency = Histogram(
            "trials_http_request_duration_seconds",
            "Time to answer a request, from routing to the response.",
            labels,
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.searches = Counter(
            "trials_searches",
            "Searches run, by MeSH expansion mode and where from (page, api, export).",
            ["mode", "source"],
            registry=self.registry,
        )
        self.registry.register(IndexCollector(app))


def count_search(req: SearchRequest, source: str) -> None:
    current_app.extensions["metrics"].searches.labels(req.expand, source).inc()


def _start() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.pop("started", None)
    if started is None:
        return response
    seconds = time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    status = str(response.status_code)
    metrics: Metrics = current_app.extensions["metrics"]
    metrics.requests.labels(route, request.method, status).inc()
    metrics.latency.labels(route, request.method, status).observe(seconds)
    if current_app.config["ACCESS_LOG"]:
        ACCESS.info(
            json.dumps(
                {
                    "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                    "bytes": response.calculate_content_length(),
                }
            )  # fmt: skip
        )
    return response


@bp.get("/metrics")
def metrics():
    if not current_app.config["METRICS"]:
        abort(404)
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encoder(current_app.extensions["metrics"].registry)
    return Response(body, content_type=content_type)


def init_metrics(app: Flask) -> None:
    """Instruments, request timing and the access log, and the /metrics route."""
    disable_created_metrics()  # no `_created` twin of every series (process-wide, as intended)
    app.extensions["metrics"] = Metrics(app)
    app.before_request(_start)
    app.after_request(_finish)
    app.register_blueprint(bp)
