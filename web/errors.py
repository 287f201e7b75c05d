"""The one place that turns errors into responses: a JSON body `{"error", "status"}` under
/api/ and for .json paths (the JSON exports), an HTML page elsewhere. Search errors carry their
own sentence and status; anything unexpected is logged with its traceback and answered with a
plain 500."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search import IndexNotBuilt, SearchError, SearchTimeout, ShardUnavailable

TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    500: "Server error",
    503: "No index yet",
}
INTERNAL = "Something went wrong on our side; the error has been logged."
HTTP_SENTENCES = {
    404: "There is no page at this address.",
    405: "This address does not accept that method.",
}


def error_response(message: str, status: int, title: str = "", no_index: bool = False):
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        return jsonify({"error": message, "status": status}), status
    page = render_template(
        "error.html",
        status=status,
        title=title or TITLES.get(status, "Error"),
        message=message,
        no_index=no_index,
        index_dir=current_app.config["INDEX_DIR"],
    )
    return page, status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(SearchError)
    def search_error(e: SearchError):
        title = "Search stopped" if isinstance(e, SearchTimeout) else ""
        if isinstance(e, ShardUnavailable):  # 503: a shard server down, slow or mid-update
            title = "Index unavailable"
        return error_response(str(e), e.status, title, no_index=isinstance(e, IndexNotBuilt))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        status = e.code or 500
        return error_response(HTTP_SENTENCES.get(status) or e.description or "", status)

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(INTERNAL, 500)
