"""Shared fixtures: one real index built from tests/data by the real indexer, per session."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
FIXTURE_SOURCES = [DATA / "trials", DATA / "pubmed", DATA / "mesh"]
# A second index: every fixture plus the complete-record ones (tests/data/records/README.md),
# kept apart so that the counts pinned on the first index stay as they are.
RECORDS_SOURCES = [*FIXTURE_SOURCES, DATA / "records"]


def pytest_configure(config: pytest.Config) -> None:
    """Every Flask test client checks each response against the app's OpenAPI description
    (tests/openapi_check.py): a response the description does not allow fails the test."""
    from flask import Flask
    from openapi_check import CheckedClient

    Flask.test_client_class = CheckedClient


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of every fixture record (built once; never written by tests)."""
    from indexer.build import rebuild_index

    path = tmp_path_factory.mktemp("index")
    rebuild_index([str(p) for p in FIXTURE_SOURCES], path)
    return path


@pytest.fixture(scope="session")
def records_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of every fixture record and of tests/data/records (never written by tests)."""
    from indexer.build import rebuild_index

    path = tmp_path_factory.mktemp("records-index")
    rebuild_index([str(p) for p in RECORDS_SOURCES], path)
    return path


@pytest.fixture(scope="session")
def records_client(records_index: Path):
    """A test client of the app serving `records_index`."""
    from web import create_app

    return create_app({"INDEX_DIR": str(records_index), "TESTING": True}).test_client()


@pytest.fixture(scope="session")
def build_report(index_dir: Path):
    import json

    from search.store import current_build

    return json.loads((current_build(index_dir) / "meta.json").read_text())


@pytest.fixture(scope="session")
def app(index_dir: Path):
    """The Flask app serving the fixture index (shared: tests that change an app make their own)."""
    from web import create_app

    return create_app({"INDEX_DIR": str(index_dir), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(index_dir: Path):
    """The app served over real HTTP on 127.0.0.1 (a free port) from a background thread;
    yields its base URL, e.g. "http://127.0.0.1:41234"."""
    yield from _serve(index_dir)


@pytest.fixture(scope="session")
def records_live_server(records_index: Path):
    """Like live_server, for `records_index`."""
    yield from _serve(records_index)


def _serve(index_dir: Path):
    import threading

    from werkzeug.serving import make_server

    from web import create_app

    app = create_app({"INDEX_DIR": str(index_dir)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
