"""Encode the records of the evaluation collections into a vector cache, before the builds.

    nice -n 10 .venv/bin/python bench/encode_evalsets.py [--cache DIR] [NAME...]

Reads each collection's sources as the indexer does (bench/evalsets.py), takes the text a
build encodes (search/semantic/vectors.py embed_text) and encodes the ones the cache (default
/work/cache-semantic/textcache, outside the repository) lacks, a chunk at a time, saving each
chunk: an interrupted run resumes. A build with `vector_cache` then finds every text there.
Prints the encoding rate. Writes DIR/<name>.done when a collection is complete.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import evalsets as ev  # noqa: E402
from indexer.content import record_dict  # noqa: E402
from indexer.parse import parse_source  # noqa: E402
from indexer.records import Article, Trial  # noqa: E402
from indexer.sources import MESH_FORMATS, walk  # noqa: E402
from search.semantic.model import DOC_TOKENS, build_encoder  # noqa: E402
from search.semantic.vectors import TextCache, embed_text  # noqa: E402

CACHE = Path("/work/cache-semantic/textcache")
CHUNK = 256


def texts_of(name: str) -> list[str]:
    """The distinct texts a build of collection `name` encodes."""
    paths, _ = ev.sources(ev.COLLECTIONS[name])
    out: dict[str, None] = {}
    for source in walk([str(p) for p in paths]):
        if getattr(source, "format", None) in MESH_FORMATS or not hasattr(source, "format"):
            continue
        for rec in parse_source(source):
            if isinstance(rec, (Trial, Article)):
                text = embed_text(record_dict(rec))
                if text:
                    out[text] = None
    return list(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(ev.COLLECTIONS))
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    cache = TextCache(args.cache)
    encoder = None
    for name in args.names:
        texts = texts_of(name)
        todo = [t for t in texts if cache.get(t) is None]
        print(f"{name}: {len(texts):,} texts, {len(todo):,} to encode", flush=True)
        started, done = time.perf_counter(), 0
        for i in range(0, len(todo), CHUNK):
            encoder = encoder or build_encoder()
            chunk = todo[i : i + CHUNK]
            cache.add(chunk, encoder.encode(chunk, DOC_TOKENS))
            done += len(chunk)
            rate = done / (time.perf_counter() - started)
            print(f"  {done:,}/{len(todo):,} ({rate:.1f} records/s)", flush=True)
        (args.cache / f"{name}.done").write_text(str(len(texts)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
