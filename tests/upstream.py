"""A stand-in for the upstream services, on 127.0.0.1, for the sync tests (no mocked client).

It serves real records in the upstream layouts:
* ClinicalTrials.gov API v2 `GET /api/v2/studies?format=json&pageSize=N&filter.advanced=
  AREA[LastUpdatePostDate]RANGE[from,MAX]&pageToken=T`: pages `{"studies": [...],
  "nextPageToken": T}` of real study objects whose last update post date is in the range,
  at most `max_page` per page (the real API's cap is 1,000), the token opaque;
* the PubMed update-file folder `/pubmed/updatefiles/`: an Apache-style listing like NCBI's,
  each `<name>.xml.gz` with its `<name>.xml.gz.md5` ("MD5(name)= hex"), Range requests;
* the MeSH folder `/mesh/`: a listing of `descYYYY.xml` files.
Faults can be injected: `fail` (status codes answered before the real answer), `fail_pages`
(a status answered to every request for a page after the first), `cut` (file
names whose next transfer stops halfway), `bad_md5` (names whose .md5 is wrong), `hang`
(seconds to wait before answering). Every request is logged with its time and User-Agent.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).parent.parent / "data" / "sample"
_RANGE = re.compile(r"AREA\[LastUpdatePostDate\]RANGE\[([^,\]]+),([^\]]+)\]")


def sample_studies() -> list[dict[str, Any]]:
    """Every API v2 study object of data/sample/trials (downloads and single studies)."""
    studies = []
    for path in sorted((SAMPLE / "trials").glob("*.json.gz")):
        studies.extend(json.loads(gzip.decompress(path.read_bytes())))
    for path in sorted((SAMPLE / "trials" / "studies").glob("*.json")):
        studies.append(json.loads(path.read_bytes()))
    return studies


def gzipped(path: Path) -> bytes:
    """A file's bytes as a `.xml.gz` (gzip with mtime 0: the same bytes every time)."""
    return gzip.compress(path.read_bytes(), mtime=0)


def updated(study: dict[str, Any]) -> str:
    return study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]


@dataclass
class Upstream:
    studies: list[dict[str, Any]] = field(default_factory=list)
    pubmed: dict[str, bytes] = field(default_factory=dict)  # name -> bytes, in listing order
    mesh: dict[str, bytes] = field(default_factory=dict)
    max_page: int = 10
    fail: list[int] = field(default_factory=list)
    fail_pages: int = 0
    cut: set[str] = field(default_factory=set)
    bad_md5: set[str] = field(default_factory=set)
    hang: float = 0.0
    log: list[dict[str, Any]] = field(default_factory=list)

    def __enter__(self) -> Upstream:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                upstream.answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def paths(self) -> list[str]:
        return [entry["path"] for entry in self.log]

    # -- answers ---------------------------------------------------------------------
    def answer(self, h: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.log.append(
            {"path": url.path, "query": query, "at": time.monotonic(),
             "agent": h.headers.get("User-Agent", ""), "range": h.headers.get("Range", "")}
        )  # fmt: skip
        if self.hang:
            time.sleep(self.hang)
        if self.fail:
            return self._send(h, self.fail.pop(0), b"upstream trouble", "text/plain")
        if url.path == "/api/v2/studies":
            return self._studies(h, query)
        for prefix, files in (("/pubmed/updatefiles/", self.pubmed), ("/mesh/", self.mesh)):
            if url.path == prefix:
                return self._send(h, 200, self._listing(prefix, files), "text/html")
            name = url.path.removeprefix(prefix)
            if url.path.startswith(prefix) and name in files:
                return self._file(h, name, files[name])
            if url.path.startswith(prefix) and name.endswith(".md5") and name[:-4] in files:
                digest = hashlib.md5(files[name[:-4]]).hexdigest()
                if name[:-4] in self.bad_md5:
                    digest = digest[::-1]
                return self._send(h, 200, f"MD5({name[:-4]})= {digest}\n".encode(), "text/plain")
        self._send(h, 404, b"not found", "text/plain")

    def _studies(self, h: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        match = _RANGE.fullmatch(query.get("filter.advanced", ""))
        low, high = match.groups() if match else ("MIN", "MAX")
        chosen = sorted(
            (s for s in self.studies if (low == "MIN" or updated(s) >= low)
             and (high == "MAX" or updated(s) <= high)),
            key=lambda s: (updated(s), s["protocolSection"]["identificationModule"]["nctId"]),
        )  # fmt: skip
        start = 0
        if self.fail_pages and "pageToken" in query:
            return self._send(h, self.fail_pages, b"upstream trouble", "text/plain")
        if token := query.get("pageToken"):
            try:
                state = json.loads(base64.urlsafe_b64decode(token))
                assert state["filter"] == query.get("filter.advanced", "")
                start = int(state["next"])
            except (ValueError, AssertionError, KeyError):
                body = json.dumps({"message": "invalid pageToken"}).encode()
                return self._send(h, 400, body, "application/json")
        size = min(int(query.get("pageSize", 10)), self.max_page)
        page: dict[str, Any] = {"studies": chosen[start : start + size]}
        if start + size < len(chosen):
            state = {"filter": query.get("filter.advanced", ""), "next": start + size}
            page["nextPageToken"] = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
        self._send(h, 200, json.dumps(page).encode(), "application/json")

    def _listing(self, prefix: str, files: dict[str, bytes]) -> bytes:
        rows = []
        for name, body in files.items():
            rows.append(f'<a href="{name}">{name}</a>  2021-01-07 14:09  {len(body)}')
            if prefix.startswith("/pubmed"):
                rows.append(f'<a href="{name}.md5">{name}.md5</a>  2021-01-07 14:09  60')
        head = f"<html><head><title>Index of {prefix}</title></head><body><pre>"
        parent = '<a href="/">Parent Directory</a>'
        return "\n".join([head, parent, *rows, "</pre></body></html>"]).encode()

    def _file(self, h: BaseHTTPRequestHandler, name: str, body: bytes) -> None:
        start = 0
        if match := re.fullmatch(r"bytes=(\d+)-", h.headers.get("Range", "")):
            start = int(match.group(1))
            if start >= len(body):
                return self._send(h, 416, b"", "text/plain")
        h.send_response(206 if start else 200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(body) - start))
        if start:
            h.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        h.end_headers()
        if name in self.cut:  # the connection drops halfway through this transfer
            self.cut.discard(name)
            h.wfile.write(body[start : start + (len(body) - start) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(body[start:])

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
