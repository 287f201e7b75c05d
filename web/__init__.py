"""The web layer: HTML pages and the JSON API over the search engine (Flask application factory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, g

from search import SearchEngine, clear_deadline, start_deadline
from web.errors import register_error_handlers
from web.settings import DEFAULTS

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Settings (defaults, then FLASK_* environment, then `test_config`), engine, routes, errors."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.sort_keys = False  # keep the contract's key order and the facets' ranking
    app.extensions["search"] = SearchEngine(
        app.config["INDEX_DIR"],
        facet_limit=app.config["FACET_LIMIT"],
        shards=app.config["SHARDS"],
        counters=app.config["COUNTERS"],
        shard_timeout=float(app.config["SHARD_TIMEOUT"]),
        shard_recheck=float(app.config["SHARD_RECHECK"]),
    )

    from web import advanced, apidocs, items, views
    from web.metrics import init_metrics

    init_metrics(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(items.bp)
    app.register_blueprint(apidocs.bp)
    app.register_blueprint(advanced.bp)
    register_error_handlers(app)

    @app.before_request
    def begin_deadline() -> None:
        g.deadline = start_deadline(float(app.config["REQUEST_TIMEOUT"] or 0))

    @app.teardown_request
    def end_deadline(_error: BaseException | None) -> None:
        token = g.pop("deadline", None)
        if token is not None:
            clear_deadline(token)

    @app.after_request
    def security_headers(response):  # (a page may set its own policy: /api/docs)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
