"""`sync`: fetch what changed upstream since the last sync and apply it with update_index.

* ClinicalTrials.gov API v2: the studies whose LastUpdatePostDate is on or after the last
  sync's start date, page by page (`nextPageToken`); the pages are kept on disk and applied
  in one update once the last page is in.
* PubMed: the update files of the directory listing not applied yet, each checked against its
  `.md5`, applied one by one in file order.
* MeSH: a descriptor file of a newer year than the one applied replaces the MeSH descriptors
  (a complete refresh: descriptors NLM dropped are deleted, records using a changed descriptor
  are re-indexed).

The state file DIR/sync/state.json records what was applied and, while a run is under way,
where it stands (CT.gov: the next page token), so an interrupted sync resumes where it stopped.
Downloads go to DIR/sync/<source>/; a file is used only after it is complete and verified.
State is saved after each step is live, so a crash between the two re-applies that step on
the next run, which changes nothing the second time (unchanged records are detected).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from indexer import store
from indexer.build import Progress
from indexer.errors import BuildFailed, IndexerError
from indexer.fetch import Fetcher, FetchError, HttpSettings
from indexer.update import UpdateReport, describe, update_index

CTGOV_URL = "https://clinicaltrials.gov/api/v2/studies"
PUBMED_URL = "https://ftp.ncbi.nlm.nih.gov/pubmed/updatefiles/"
MESH_URL = "https://nlmpubs.nlm.nih.gov/projects/mesh/MESH_FILES/xmlmesh/"
SOURCES = ("ctgov", "pubmed", "mesh")
SYNC_DIR = "sync"
STATE_FILE = "state.json"
_PUBMED_FILE = re.compile(r'href="((?:pubmed|medline)(\d\d)n(\d{4})\.xml\.gz)"')
_MESH_FILE = re.compile(r'href="(desc(\d{4})\.(gz|zip|xml))"')
_MESH_PREFERENCE = {"gz": 0, "zip": 1, "xml": 2}  # smallest download first
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")
Say = Callable[[str], None]


@dataclass
class SyncSettings:
    ctgov_url: str = CTGOV_URL
    pubmed_url: str = PUBMED_URL
    mesh_url: str = MESH_URL
    page_size: int = 1000
    http: HttpSettings = field(default_factory=HttpSettings)
    since: str = ""  # CT.gov: first sync's lower bound (default: the index's CT.gov data date)
    pubmed_after: str = ""  # PubMed: files up to this one are in the index already
    mesh_year: int = 0  # MeSH: the year the index holds, when no sync recorded one


class SyncState:
    """DIR/sync/state.json, rewritten atomically after each step."""

    def __init__(self, index_dir: Path) -> None:
        self.folder = index_dir / SYNC_DIR
        self.path = self.folder / STATE_FILE
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self.data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.data = {}
        except ValueError as e:
            raise IndexerError(f"{self.path} is not valid JSON ({e}): fix or delete it") from e
        for source in SOURCES:
            self.data.setdefault(source, {})

    def save(self) -> None:
        tmp = self.path.with_name(f".{STATE_FILE}.tmp")
        with tmp.open("w", encoding="utf-8") as out:
            json.dump(self.data, out, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)

    def downloads(self, source: str) -> Path:
        path = self.folder / source
        path.mkdir(exist_ok=True)
        return path

    def done(self, source: str, report: UpdateReport | None, **facts: Any) -> None:
        entry = self.data[source]
        entry.update(facts)
        entry["last_run"] = {"at": store.now_iso(), **(report.summary() if report else {})}
        self.save()


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _write_atomic(path: Path, body: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as out:
        out.write(body)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def sync_ctgov(index_dir: Path, state: SyncState, fetch: Fetcher, cfg: SyncSettings,
               say: Say, progress: Progress | None = None) -> None:  # fmt: skip
    entry = state.data["ctgov"]
    pages = state.downloads("ctgov")
    run = entry.get("run")  # a run under way is resumed, unless --since asks for another
    if run and (not cfg.since or cfg.since == run["since"]):
        since = run["since"]
    else:
        since = cfg.since or entry.get("last_sync") or _ctgov_snapshot(index_dir)
    if not run or run.get("since") != since:
        run = _new_run(state, since)
    resumed = bool(run["next"])  # a token saved by an earlier process: it may have expired
    while not run.get("complete"):
        params = {
            "format": "json",
            "pageSize": str(cfg.page_size),
            "filter.advanced": f"AREA[LastUpdatePostDate]RANGE[{since},MAX]",
        }
        if run["next"]:
            params["pageToken"] = run["next"]
        try:
            body = fetch.get(cfg.ctgov_url, params)
        except FetchError as e:
            if not (resumed and e.status == 400):
                raise
            say(f"ClinicalTrials.gov: the saved page token was refused ({e}); starting over")
            run, resumed = _new_run(state, since), False
            continue
        resumed = False
        try:
            page = json.loads(body)
            studies = page["studies"]
        except (ValueError, KeyError, TypeError) as e:
            raise FetchError(f"{cfg.ctgov_url}: not a page of studies ({e})") from None
        run["pages"] += 1
        _write_atomic(pages / f"page-{run['pages']:05d}.json", body)
        run["studies"] = run.get("studies", 0) + len(studies)
        run["next"] = page.get("nextPageToken") or ""
        run["complete"] = not run["next"]
        state.save()
    try:
        report = _apply(index_dir, pages, progress)
    except IndexerError:
        del entry["run"]  # the pages are dropped: the next run fetches them again
        state.save()
        raise
    say(
        f"ClinicalTrials.gov: {run.get('studies', 0):,} studies updated since {since} "
        f"({run['pages']} page{'s' if run['pages'] != 1 else ''}). {describe(report)}"
    )
    del entry["run"]
    state.done("ctgov", report, last_sync=run["started"])
    shutil.rmtree(pages, ignore_errors=True)


def _new_run(state: SyncState, since: str) -> dict[str, Any]:
    pages = state.downloads("ctgov")
    shutil.rmtree(pages)
    pages.mkdir()
    run = state.data["ctgov"]["run"] = {"since": since, "started": _today(), "next": "", "pages": 0}
    state.save()
    return run


def _apply(index_dir: Path, path: Path, progress: Progress | None, **options: Any) -> UpdateReport:
    """update_index of a download; a file that cannot be read whole is an error (and the
    download is dropped, to be fetched again), so that no step is recorded as applied with
    records missing. The records read before a break are applied; rerunning re-applies them."""
    try:
        report = update_index([str(path)], index_dir, progress, **options)
    except BuildFailed:
        _drop(path)
        raise
    if report.skipped_files:
        _drop(path)
        name, reason = report.skipped_files[0]
        raise IndexerError(f"{Path(name).name} could not be read whole ({reason})")
    return report


def _drop(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
    else:
        path.unlink(missing_ok=True)


def _ctgov_snapshot(index_dir: Path) -> str:
    build = store.current_build(index_dir)
    date = store.read_build_meta(build).get("snapshots", {}).get("ctgov", "") if build else ""
    if not date:
        raise IndexerError(
            "ClinicalTrials.gov: no previous sync and no CT.gov data date in the index: "
            "pass --since YYYY-MM-DD"
        )
    return date


def _listing(fetch: Fetcher, url: str, pattern: re.Pattern[str]) -> tuple[list, set[str]]:
    """The matches of `pattern` in a directory listing, and every name it links to."""
    html = fetch.get(url).decode("utf-8", "replace")
    names = set(re.findall(r'href="([^"?/]+)"', html))
    return [m.groups() for m in pattern.finditer(html)], names


def _fetch_verified(fetch: Fetcher, base: str, name: str, names: set[str], dest: Path) -> None:
    """Download `name` unless a verified copy is already there; check its .md5 if listed."""
    if dest.exists():
        return
    md5 = ""
    if f"{name}.md5" in names:
        found = _MD5.search(
            fetch.get(urllib.parse.urljoin(base, f"{name}.md5")).decode("ascii", "replace")
        )
        if not found:
            raise FetchError(f"{name}.md5 holds no MD5 checksum")
        md5 = found.group(1)
    fetch.download(urllib.parse.urljoin(base, name), dest, md5)


def sync_pubmed(index_dir: Path, state: SyncState, fetch: Fetcher, cfg: SyncSettings,
                say: Say, progress: Progress | None = None) -> None:  # fmt: skip
    entry = state.data["pubmed"]
    applied = entry.setdefault("applied", [])
    after = cfg.pubmed_after or entry.get("after")
    found, names = _listing(fetch, cfg.pubmed_url, _PUBMED_FILE)
    files = sorted({n: (int(y), int(k)) for n, y, k in found}.items(), key=lambda kv: kv[1])
    floor = _pubmed_key(after) if after else (-1, -1)
    todo = [n for n, key in files if n not in applied and key > floor]
    if after:
        entry["after"] = after
    if not todo:
        say(f"PubMed: no new update file ({len(files)} listed, all applied).")
        state.done("pubmed", None)
        return
    downloads = state.downloads("pubmed")
    for name in todo:
        if f"{name}.md5" not in names:
            raise FetchError(f"PubMed: {name} has no .md5 file in the listing; not applied")
        dest = downloads / name
        _fetch_verified(fetch, cfg.pubmed_url, name, names, dest)
        report = _apply(index_dir, dest, progress)
        say(f"PubMed {name}: {describe(report)}")
        applied.append(name)
        state.done("pubmed", report)
        dest.unlink()


def _pubmed_key(name: str) -> tuple[int, int]:
    match = re.fullmatch(r"(?:pubmed|medline)(\d\d)n(\d{4})(?:\.xml\.gz)?", name)
    if not match:
        raise IndexerError(f"--pubmed-after {name!r}: expected a name like pubmed25n1275.xml.gz")
    return int(match.group(1)), int(match.group(2))


def sync_mesh(index_dir: Path, state: SyncState, fetch: Fetcher, cfg: SyncSettings,
              say: Say, progress: Progress | None = None) -> None:  # fmt: skip
    entry = state.data["mesh"]
    current = int(cfg.mesh_year or entry.get("year") or 0)
    found, names = _listing(fetch, cfg.mesh_url, _MESH_FILE)
    if not found:
        raise FetchError(f"MeSH: no descriptor file (descYYYY) listed at {cfg.mesh_url}")
    name, year, _ = min(found, key=lambda m: (-int(m[1]), _MESH_PREFERENCE[m[2]]))
    if int(year) <= current:
        say(f"MeSH: {year} is the newest descriptor file and is applied already.")
        state.done("mesh", None, year=current)
        return
    dest = state.downloads("mesh") / name
    _fetch_verified(fetch, cfg.mesh_url, name, names, dest)
    meta = {"snapshots": {"mesh": year}}
    report = _apply(index_dir, dest, progress, complete_mesh=True, meta=meta)
    say(f"MeSH {year} ({name}): {describe(report)}")
    state.done("mesh", report, year=int(year))
    dest.unlink()


STEPS = {"ctgov": sync_ctgov, "pubmed": sync_pubmed, "mesh": sync_mesh}
NAMES = {"ctgov": "ClinicalTrials.gov", "pubmed": "PubMed", "mesh": "MeSH"}


def run_sync(index_dir: Path, sources: list[str], cfg: SyncSettings, say: Say,
             progress: Progress | None = None) -> None:  # fmt: skip
    """Each source in turn; the first failure stops the run (what was applied stays)."""
    if store.current_build(index_dir) is None:
        raise IndexerError(
            f"no index in {index_dir} to sync: run `python -m indexer build "
            f"--index {index_dir} PATH...` first"
        )
    state = SyncState(index_dir)
    state.save()
    fetch = Fetcher(cfg.http)
    for source in sources:
        try:
            STEPS[source](index_dir, state, fetch, cfg, say, progress)
        except IndexerError as e:
            raise IndexerError(f"{NAMES[source]}: {e}; rerun to resume") from e
