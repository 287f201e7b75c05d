"""Record vectors beside the index: one set per build folder, written with the build.

    BUILD/semantic/ids.json      the record ids, one per row, and the sha1 of each one's text
    BUILD/semantic/vectors.npy   float16, rows x DIMENSIONS, unit length (read memory-mapped)
    BUILD/semantic/info.json     the model and the text recipe they were made with

Trials and articles get a vector (their title and the opening of their text: what a person
skims); MeSH descriptors do not (they rank by BM25 alone). The files are written into the new
build folder before it is switched in, so vectors switch atomically with the index; an update
starts from the live build's vectors, drops the deleted and replaced ids and encodes only what
it wrote. A build without the folder (or with vectors of another model) searches by BM25 alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from search import fields as f
from search.semantic.model import DIMENSIONS, DOC_TOKENS, MODEL_NAME

FOLDER = "semantic"
RECIPE = "title+opening-v1"
OPENING_CHARS = 400  # a little over DOC_TOKENS word pieces: the encoder cuts the rest
ENCODED_TYPES = (f.TRIAL, f.ARTICLE)
TOP_CACHE_BYTES = 256 << 20  # Vectors.top keeps a float32 copy up to this size (~170,000 rows)
TOP_CHUNK = 32_768  # beyond it, rows converted to float32 at once (48 MiB)


def embed_text(record: dict[str, Any]) -> str | None:
    """What a record's vector encodes: its title and the opening of its text (None for a
    record type that gets no vector)."""
    kind = record.get("type")
    if kind == f.ARTICLE:
        title = record.get("title", "")
        body = " ".join(s.get("text", "") for s in record.get("abstract", ()))
    elif kind == f.TRIAL:
        title = record.get("brief_title") or record.get("official_title", "")
        conditions = "; ".join(record.get("conditions", ()))
        body = f"{conditions}. {record.get('brief_summary', '')}" if conditions else ""
        body = body or record.get("brief_summary", "")
    else:
        return None
    text = " ".join(f"{title.strip().rstrip('.')}. {body.strip()}".split())
    return text[:OPENING_CHARS] if text.strip(". ") else None


def info() -> dict[str, Any]:
    return {"model": MODEL_NAME, "recipe": RECIPE, "max_tokens": DOC_TOKENS, "dims": DIMENSIONS}


class Vectors:
    """The vectors of one build (read-only)."""

    def __init__(self, ids: list[str], matrix: np.ndarray, digests: list[str]) -> None:
        self.ids = ids
        self.matrix = matrix
        self.digests = digests  # sha1 of the text each row encodes (an update reuses rows)
        self.row = {key: i for i, key in enumerate(ids)}
        self._f32: np.ndarray | None = None  # float32 copy for `top` (made on its first use)

    @classmethod
    def load(cls, build: Path) -> Vectors | None:
        """The build's vectors; None when it has none (or ones made another way)."""
        folder = Path(build) / FOLDER
        try:
            meta = json.loads((folder / "info.json").read_text(encoding="utf-8"))
            if meta != info():
                return None
            rows = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            ids, digests = rows["ids"], rows["text_sha1"]
            matrix = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if matrix.shape != (len(ids), DIMENSIONS) or len(digests) != len(ids):
            return None
        return cls(ids, matrix, digests)

    def similarity(self, query: np.ndarray, ids: list[str]) -> np.ndarray:
        """Cosine similarity of `query` to each id's vector (NaN for an id without one)."""
        rows = np.array([self.row.get(i, -1) for i in ids], dtype=np.int64)
        out = np.full(len(ids), np.nan, dtype=np.float32)
        have = rows >= 0
        if have.any():
            out[have] = np.asarray(self.matrix[rows[have]], dtype=np.float32) @ query
        return out

    def top(self, query: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the `limit` most similar vectors (best first) and their similarities: one
        pass over every row (float32 kept in memory up to TOP_CACHE_BYTES, else converted
        TOP_CHUNK rows at a time)."""
        if not len(self.ids) or limit <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.asarray(query, dtype=np.float32)
        if self._f32 is None and self.matrix.shape[0] * self.matrix.shape[1] * 4 <= TOP_CACHE_BYTES:
            self._f32 = np.asarray(self.matrix, dtype=np.float32)
        if self._f32 is not None:
            sims = self._f32 @ q
        else:
            sims = np.empty(len(self.ids), dtype=np.float32)
            for start in range(0, len(sims), TOP_CHUNK):
                part = self.matrix[start : start + TOP_CHUNK]
                sims[start : start + len(part)] = np.asarray(part, dtype=np.float32) @ q
        limit = min(limit, len(sims))
        rows = np.argpartition(-sims, limit - 1)[:limit]
        rows = rows[np.argsort(-sims[rows], kind="stable")]
        return rows, sims[rows]


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def write(build: Path, ids: list[str], matrix: np.ndarray, digests: list[str]) -> None:
    """Write a build's vectors (into a folder of the unswitched build: no reader sees it yet)."""
    folder = Path(build) / FOLDER
    folder.mkdir(exist_ok=True)
    np.save(folder / "vectors.npy", np.asarray(matrix, dtype=np.float16), allow_pickle=False)
    rows = {"ids": ids, "text_sha1": digests}
    (folder / "ids.json").write_text(json.dumps(rows), encoding="utf-8")
    (folder / "info.json").write_text(json.dumps(info()), encoding="utf-8")


class TextCache:
    """Vectors of texts already encoded, kept on disk across builds (optional: the indexer's
    --vector-cache). Keyed by the sha1 of model, recipe and text; one .npz file per batch."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.known: dict[bytes, np.ndarray] = {}
        self.read: set[str] = set()
        self.refresh()

    def refresh(self) -> None:
        """Read the files other processes added since."""
        for part in sorted(self.folder.glob("*.npz")):
            if part.name in self.read:
                continue
            with np.load(part, allow_pickle=False) as data:
                for key, vec in zip(data["keys"], data["vectors"], strict=True):
                    self.known[bytes(key)] = vec
            self.read.add(part.name)

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.sha1(f"{MODEL_NAME}\0{RECIPE}\0{DOC_TOKENS}\0{text}".encode()).digest()

    def get(self, text: str) -> np.ndarray | None:
        return self.known.get(self.key(text))

    def add(self, texts: list[str], vectors: np.ndarray) -> None:
        if not texts:
            return
        keys = [self.key(t) for t in texts]
        for key, vec in zip(keys, vectors, strict=True):
            self.known[key] = vec.astype(np.float16)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{len(keys)}"
        tmp = self.folder / f".{name}.npz"
        with tmp.open("wb") as fh:
            np.savez(fh, keys=np.array(keys, dtype="S20"), vectors=vectors.astype(np.float16))
        os.replace(tmp, self.folder / f"{name}.npz")
        self.read.add(f"{name}.npz")
