"""A polite HTTP client for `sync`: timeouts, retries with backoff, a rate limit, a User-Agent,
and downloads that are never used half-written (a `.part` file, resumed with a Range request,
checked against its MD5, then renamed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any

from indexer.errors import IndexerError

USER_AGENT = "trials-search-indexer/1.0 (+sync of ClinicalTrials.gov, PubMed and MeSH updates)"
RETRY_STATUS = (408, 429, 500, 502, 503, 504)
MAX_RETRY_AFTER = 300.0  # seconds: the longest Retry-After honoured
CHUNK = 1 << 20


class FetchError(IndexerError):
    """A request failed for good (after its retries), or a download did not verify."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status when the server answered with an error


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str = USER_AGENT
    timeout: float = 60.0  # seconds for the connection and for each read
    retries: int = 4  # further tries after a failed request
    backoff: float = 2.0  # seconds before the first retry, doubled each time
    interval: float = 1.0  # at least this many seconds between two requests (rate limit)


class Fetcher:
    """One client per sync; requests go out one at a time, spaced by `interval`."""

    def __init__(self, settings: HttpSettings | None = None) -> None:
        self.settings = settings or HttpSettings()
        self._last = 0.0
        self.requests = 0

    def _wait_turn(self) -> None:
        delay = self._last + self.settings.interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._last = time.monotonic()

    def _open(self, url: str, headers: dict[str, str] | None = None) -> Any:
        """The response of a GET, retried on network errors, timeouts and 408/429/5xx."""
        wait = self.settings.backoff
        for attempt in range(self.settings.retries + 1):
            self._wait_turn()
            self.requests += 1
            request = urllib.request.Request(
                url, headers={"User-Agent": self.settings.user_agent, **(headers or {})}
            )
            try:
                return urllib.request.urlopen(request, timeout=self.settings.timeout)
            except urllib.error.HTTPError as e:
                e.close()
                if e.code not in RETRY_STATUS or attempt == self.settings.retries:
                    raise FetchError(f"{url}: HTTP {e.code} {e.reason}", e.code) from None
                retry_after = _retry_after(e.headers.get("Retry-After"))
                reason = f"HTTP {e.code}"
            except (urllib.error.URLError, OSError, HTTPException) as e:
                if attempt == self.settings.retries:
                    raise FetchError(f"{url}: {_reason(e)}") from None
                retry_after, reason = None, _reason(e)
            time.sleep(max(wait, retry_after or 0.0))
            wait *= 2
        raise FetchError(f"{url}: {reason} after {self.settings.retries + 1} tries")

    def get(self, url: str, params: dict[str, str] | None = None) -> bytes:
        """A whole response body (retried as a whole if the transfer breaks)."""
        if params:
            url = f"{url}?{urllib.parse.urlencode(params)}"
        for attempt in range(self.settings.retries + 1):
            with self._open(url) as response:
                try:
                    return response.read()
                except (OSError, HTTPException) as e:
                    if attempt == self.settings.retries:
                        raise FetchError(f"{url}: {_reason(e)}") from None
            time.sleep(self.settings.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def get_json(self, url: str, params: dict[str, str] | None = None) -> Any:
        body = self.get(url, params)
        try:
            return json.loads(body)
        except ValueError as e:
            raise FetchError(f"{url}: the answer is not JSON ({e})") from None

    def download(self, url: str, dest: Path, md5: str = "") -> None:
        """`url` into `dest`, through `dest.part`: a broken transfer resumes from the bytes it
        has (Range), the whole file is checked against `md5` when given, and only then renamed
        to `dest`. A failed check deletes the part file."""
        part = dest.with_name(dest.name + ".part")
        for attempt in range(self.settings.retries + 1):
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with self._open_range(url, headers, part) as response:
                    mode = "ab" if have and response.status == 206 else "wb"
                    expected = int(response.headers.get("Content-Length") or -1)
                    got = 0
                    with part.open(mode) as out:
                        while chunk := response.read(CHUNK):
                            out.write(chunk)
                            got += len(chunk)
                        out.flush()
                        os.fsync(out.fileno())
                if expected >= 0 and got != expected:  # http.client reads a cut body silently
                    raise ConnectionError(f"the transfer stopped after {got} of {expected} bytes")
                break
            except (OSError, HTTPException) as e:
                if attempt == self.settings.retries:
                    raise FetchError(f"{url}: {_reason(e)}") from None
                time.sleep(self.settings.backoff * 2**attempt)
        if md5 and file_md5(part) != md5.lower():
            part.unlink()
            raise FetchError(f"{url}: the download does not match its MD5 checksum; deleted")
        os.replace(part, dest)

    def _open_range(self, url: str, headers: dict[str, str], part: Path) -> Any:
        try:
            return self._open(url, headers)
        except FetchError as e:
            if e.status != 416:  # Range Not Satisfiable: the part file is stale; start again
                raise
            part.unlink()
            return self._open(url)


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _retry_after(value: str | None) -> float | None:
    with contextlib.suppress(TypeError, ValueError):
        return min(float(value), MAX_RETRY_AFTER)  # type: ignore[arg-type]
    return None


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    return getattr(error, "strerror", None) or str(error) or type(error).__name__
