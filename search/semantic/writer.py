"""VectorWriter: a backend Writer (search/backend.py) that also keeps the build's vectors.

It wraps the Writer of any backend: each add notes the record's text (search/semantic/vectors.py
embed_text), each delete drops its id; on commit the backend commits first, then the vectors are
written into the same build folder, which the indexer switches in afterwards (so the index and
its vectors go live together, or neither does). An update starts from the live build's vectors:
rows of untouched records are copied, a rewritten record whose text is unchanged keeps its row,
and only new text is encoded (looked up first in an optional on-disk TextCache).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from search import fields as f
from search.backend import Stored, Writer
from search.semantic import vectors as vec
from search.semantic.model import DIMENSIONS, DOC_TOKENS, Encoder, build_encoder

ENCODE_CHUNK = 512  # texts encoded (and saved to the cache) at a time


@dataclass
class VectorStats:
    """What the vectors of a build cost: for meta.json and the build's summary."""

    rows: int = 0  # records with a vector in the build
    encoded: int = 0  # texts run through the model by this build or update
    reused: int = 0  # rows taken from the live build or the cache
    seconds: float = 0.0  # spent encoding

    @property
    def rate(self) -> float:
        return self.encoded / self.seconds if self.seconds else 0.0

    def meta(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "encoded": self.encoded,
            "reused": self.reused,
            "encode_seconds": round(self.seconds, 2),
            "records_per_second": round(self.rate, 1),
            **vec.info(),
        }


class VectorWriter:
    """`inner`'s writes plus the vectors of `build` (see module doc). `live`: the build an
    update starts from (None for a full build)."""

    def __init__(
        self,
        inner: Writer,
        build: Path,
        live: Path | None = None,
        *,
        encoder: Callable[[], Encoder] = build_encoder,
        cache: vec.TextCache | None = None,
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        """`progress(event, n)`: told "encode_total" (texts to encode) then "encoded" after
        each chunk, as the indexer's progress bar takes them."""
        self.inner = inner
        self.progress = progress or (lambda event, n: None)
        self.build = Path(build)
        self.base = vec.Vectors.load(live) if live is not None else None
        self.encoder = encoder
        self.cache = cache
        self.pending: dict[str, str | None] = {}  # id -> text to encode (None: no vector)
        self.stats = VectorStats()

    # -- the Writer protocol ------------------------------------------------------------------
    def add(self, record_id: str, document: dict[str, Any]) -> bool:
        replaced = self.inner.add(record_id, document)
        self.pending[record_id] = vec.embed_text(f.unpack_record(document[f.RECORD]))
        return replaced

    def delete(self, record_id: str) -> bool:
        found = self.inner.delete(record_id)
        self.pending[record_id] = None
        return found

    def stored(self, record_id: str) -> Stored | None:
        return self.inner.stored(record_id)

    def ids_with(self, field: str, value: str) -> list[str]:
        return self.inner.ids_with(field, value)

    def counts(self) -> dict[str, int]:
        return self.inner.counts()

    def cancel(self) -> None:
        self.inner.cancel()

    def commit(self) -> None:
        self.inner.commit()
        self.write_vectors()

    # -- vectors ------------------------------------------------------------------------------
    def write_vectors(self) -> None:
        ids: list[str] = []
        digests: list[str] = []
        rows: list[np.ndarray] = []
        reuse: dict[str, np.ndarray] = {}  # text sha1 -> vector of the live build
        if self.base is not None:
            kept = [i for i, key in enumerate(self.base.ids) if key not in self.pending]
            if kept:
                rows.append(np.asarray(self.base.matrix[kept], dtype=np.float16))
            ids.extend(self.base.ids[i] for i in kept)
            digests.extend(self.base.digests[i] for i in kept)
            for i, key in enumerate(self.base.ids):
                if key in self.pending:
                    reuse[self.base.digests[i]] = self.base.matrix[i]
            self.stats.reused += len(kept)
        new = [(key, text) for key, text in self.pending.items() if text is not None]
        texts = [text for _, text in new]
        found = self._vectors(texts, reuse)
        if new:
            rows.append(found)
            ids.extend(key for key, _ in new)
            digests.extend(vec.text_digest(t) for t in texts)
        matrix = np.concatenate(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float16)
        self.stats.rows = len(ids)
        vec.write(self.build, ids, matrix, digests)

    def _vectors(self, texts: list[str], reuse: dict[str, np.ndarray]) -> np.ndarray:
        """One vector per text: from the live build, the cache, or the model."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float16)
        todo: list[int] = []
        if self.cache is not None:
            self.cache.refresh()
        for i, text in enumerate(texts):
            known = reuse.get(vec.text_digest(text))
            if known is None and self.cache is not None:
                known = self.cache.get(text)
            if known is None:
                todo.append(i)
            else:
                out[i] = known
                self.stats.reused += 1
        if todo:
            model = self.encoder()
            self.progress("encode_total", len(todo))
            started = time.perf_counter()
            for start in range(0, len(todo), ENCODE_CHUNK):
                chunk = todo[start : start + ENCODE_CHUNK]
                encoded = model.encode([texts[i] for i in chunk], DOC_TOKENS)
                out[chunk] = encoded
                self.progress("encoded", len(chunk))
                if self.cache is not None:
                    self.cache.add([texts[i] for i in chunk], encoded)
            self.stats.seconds += time.perf_counter() - started
            self.stats.encoded += len(todo)
        return out
