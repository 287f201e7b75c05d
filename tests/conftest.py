"""Shared fixtures: real indexes built from tests/data by the real indexer, once per session and
backend; every test that uses one runs on each backend (search/backend.py BACKENDS)."""

from __future__ import annotations

from collections.abc import Callable
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
    config.addinivalue_line(
        "markers", "backends(*names): run on these backends only (default: every backend)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One contract, two backends: a test that uses `backend` (itself or through an index
    fixture) runs once per backend, unless its module or itself names the backends it is
    about with `@pytest.mark.backends("whoosh")`."""
    if "backend" not in metafunc.fixturenames or _parametrized(metafunc, "backend"):
        return
    from search.backend import BACKENDS

    marker = metafunc.definition.get_closest_marker("backends")
    names = marker.args if marker is not None else BACKENDS
    metafunc.parametrize("backend", names, indirect=True, scope="session")


def _parametrized(metafunc: pytest.Metafunc, name: str) -> bool:
    """Whether the test parametrizes `name` itself (`@pytest.mark.parametrize("backend", ...)`)."""
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        if name in ([n.strip() for n in names.split(",")] if isinstance(names, str) else names):
            return True
    return False


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[tuple[str, str]]]:
    """`walks()`: from then on, every walk of a Xapian view's vocabulary
    (XapianView.terms_under) is noted, as (field, prefix), in the list it returns, and done
    as before (the spelling tests count the walks of a letter)."""

    def start() -> list[tuple[str, str]]:
        from search.xapian.view import XapianView

        walked: list[tuple[str, str]] = []
        terms_under = XapianView.terms_under

        def walking(self: XapianView, field: str, prefix_text: str) -> list[str]:
            walked.append((field, prefix_text))
            return terms_under(self, field, prefix_text)

        monkeypatch.setattr(XapianView, "terms_under", walking)
        return walked

    return start


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The backend the index fixtures are built with (the test is run once per backend)."""
    return request.param


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """`built(name, backend)`: the index `name` ("index" or "records") of that backend, built
    by the real indexer on first use and kept for the session (tests never write to it)."""
    from indexer.build import rebuild_index

    sources = {"index": FIXTURE_SOURCES, "records": RECORDS_SOURCES}
    done: dict[tuple[str, str], Path] = {}

    def get(name: str, backend: str) -> Path:
        if (name, backend) not in done:
            path = tmp_path_factory.mktemp(f"{name}-{backend}")
            rebuild_index([str(p) for p in sources[name]], path, backend=backend)
            done[(name, backend)] = path
        return done[(name, backend)]

    return get


# The vector fixtures (tests/test_semantic.py, test_fusion.py, test_ltr.py): trials, articles
# and MeSH with vectors (search/semantic/), per backend.
VECTOR_SOURCES = [DATA / "trials" / "xml", DATA / "pubmed" / "pubmed21n1298_selection.xml",
                  DATA / "mesh"]  # fmt: skip


@pytest.fixture(scope="session")
def vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The encoded texts kept between builds (a build after the first finds its texts here)."""
    return tmp_path_factory.mktemp("vector-cache")


@pytest.fixture(scope="session")
def vector_built(
    tmp_path_factory: pytest.TempPathFactory, vector_cache: Path
) -> Callable[[str], tuple[Path, list[tuple[str, int]]]]:
    """`vector_built(backend)`: a real index of VECTOR_SOURCES with vectors, built on first use
    and kept for the session (tests never write to it: they copy it), and the progress events
    its build reported."""
    from indexer.build import rebuild_index

    done: dict[str, tuple[Path, list[tuple[str, int]]]] = {}

    def get(backend: str) -> tuple[Path, list[tuple[str, int]]]:
        if backend not in done:
            path = tmp_path_factory.mktemp(f"vectors-{backend}")
            events: list[tuple[str, int]] = []
            rebuild_index(
                [str(p) for p in VECTOR_SOURCES], path, backend=backend, vectors=True,
                vector_cache=vector_cache, progress=lambda e, n: events.append((e, n)),
            )  # fmt: skip
            done[backend] = (path, events)
        return done[backend]

    return get


@pytest.fixture(scope="session")
def index_dir(built, backend: str) -> Path:
    """A real index of every fixture record, of `backend` (built once; never written by tests)."""
    return built("index", backend)


@pytest.fixture(scope="session")
def whoosh_index(built) -> Path:
    """`index_dir` of the Whoosh backend, for tests that compare the backends."""
    return built("index", "whoosh")


@pytest.fixture(scope="session")
def xapian_index(built) -> Path:
    """`index_dir` of the Xapian backend, for tests that compare the backends."""
    return built("index", "xapian")


@pytest.fixture(scope="session")
def records_index(built, backend: str) -> Path:
    """A real index of every fixture record and of tests/data/records (never written by tests)."""
    return built("records", backend)


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
