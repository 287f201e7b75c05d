"""Checks a response against the app's OpenAPI description (/api/openapi.json): its status is
documented for the route, its media type is documented for that status, and a JSON body
validates against the documented schema (JSON Schema 2020-12, `$ref`s into the description).

conftest.py makes every Flask test client of the session a `CheckedClient`, so every response
a test receives through one is checked."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import HTTPException

from web.openapi import openapi

SPEC_URI = "urn:trials:openapi"
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class SpecMismatch(AssertionError):
    """A response the description does not allow."""


def template(rule: str) -> str:
    """Flask's `/export/record/<record_id>.<any(csv, ris, json):fmt>` -> OpenAPI's
    `/export/record/{record_id}.{fmt}`."""
    return _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", rule)


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def check(spec: dict[str, Any], path: str, method: str, status: int, mimetype: str,
          body: bytes | Callable[[], bytes]) -> None:  # fmt: skip
    """SpecMismatch unless the description documents this response of `path` (a template)."""
    operation = spec["paths"].get(path, {}).get(method.lower())
    if operation is None:
        raise SpecMismatch(f"{method} {path} is not described")
    response = operation["responses"].get(str(status))
    if response is None:
        raise SpecMismatch(f"{method} {path}: status {status} is not documented")
    media = response.get("content", {})
    if media and mimetype not in media:
        raise SpecMismatch(
            f"{method} {path} {status}: {mimetype} is not documented ({list(media)})"
        )
    if mimetype != "application/json" or method == "HEAD":
        return
    where = _pointer("paths", path, method.lower(), "responses", str(status), "content",
                     mimetype, "schema")  # fmt: skip
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    validator = Draft202012Validator(
        {"$ref": f"{SPEC_URI}#/{where}"}, registry=Registry().with_resource(SPEC_URI, resource)
    )
    data = json.loads(body() if callable(body) else body)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        raise SpecMismatch(
            f"{method} {path} {status}: {first.message} at {list(first.absolute_path)}"
        )


def check_response(app: Flask, path: str, method: str, status: int, mimetype: str,
                   body: Callable[[], bytes]) -> None:  # fmt: skip
    """Check a response of `app` to `method path`. Requests that match no route of the
    description are left alone: static files, unknown addresses, other methods, and routes a
    test adds to its own app (test_openapi.py checks that the app's own routes are all there)."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, _ = adapter.match(path, method="GET" if method == "HEAD" else method,
                                return_rule=True)  # fmt: skip
    except HTTPException:
        return
    if rule.endpoint.endswith("static"):
        return
    with app.app_context():
        spec = openapi(app)
    if template(rule.rule) not in spec["paths"]:
        return
    check(spec, template(rule.rule), "GET" if method == "HEAD" else method, status, mimetype,
          body)  # fmt: skip


class CheckedClient(FlaskClient):
    """A test client that checks every response against the app's OpenAPI description."""

    def open(self, *args: Any, **kwargs: Any):
        response = super().open(*args, **kwargs)
        request = response.request
        check_response(self.application, request.path, request.method, response.status_code,
                       response.mimetype or "", response.get_data)  # fmt: skip
        return response
