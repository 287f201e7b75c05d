"""The API's description (/api/openapi.json) and its page (/api/docs): Swagger UI, served from
the files of the `flask-swagger-ui` package (no CDN), started by our own script (no inline
script, so the site's Content-Security-Policy holds)."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, current_app, jsonify, render_template

from web.openapi import openapi

SWAGGER_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
# Swagger UI's stylesheet draws its icons from data: URIs; nothing else is loosened.
DOCS_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"

bp = Blueprint(
    "apidocs", __name__, static_folder=str(SWAGGER_DIST), static_url_path="/api/docs/assets"
)


@bp.get("/api/openapi.json")
def openapi_json():
    return jsonify(openapi(current_app))


@bp.get("/api/docs")
def docs():
    version = (SWAGGER_DIST / "VERSION").read_text(encoding="utf-8").strip()
    page = render_template("api.html", swagger_version=version)
    return page, 200, {"Content-Security-Policy": DOCS_CSP}
