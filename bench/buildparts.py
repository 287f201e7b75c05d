"""Where a Xapian build's CPU goes: parsing (records to index documents), making the Xapian
documents (search/xapian/schema.py), Xapian's add_document (replace_document with --replace, as
an update writes), and its flushes.

    nice -n 10 .venv/bin/python bench/buildparts.py dump data/sample /tmp/docs.pkl
    nice -n 10 .venv/bin/python bench/buildparts.py write /tmp/docs.pkl /tmp/xw [--flush N]
        [--types trial,article] [--limit N] [--replace] [--dangerous] [--part-docs N]
    nice -n 10 .venv/bin/python bench/buildparts.py build ../shared/data /tmp/xi [--shards N]
        [--part-docs N]
    nice -n 10 .venv/bin/python bench/buildparts.py update /tmp/xi [--records N] [--shard K]

`dump` parses as `indexer build` does (MeSH first) and pickles (id, index document) pairs;
`write` writes them through search/xapian/writer.py's XapianWriter, timing each part in CPU
seconds (time.process_time), and prints the figures and the load average. `build` is a whole
`indexer build` (rebuild_index) with the CPU seconds of the indexer's process and of its writer
processes apart (search/xapian/pipeline.py); `--part-docs N` writes each database in parts of
N documents merged at the end (search/xapian/writer.py's PART_DOCS; 0: one part). `update`
changes the title of N indexed records (of shard K only, or of any) through the indexer's
Change into a new build and switches it in (as bench/scale.py's 1% update), timing it in wall
and CPU seconds; it writes into the index: not for a kept one.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.build import BuildReport, collect_sources, load_mesh, rebuild_index  # noqa: E402
from indexer.content import record_id  # noqa: E402
from indexer.documents import to_document  # noqa: E402
from indexer.parse import parse_source  # noqa: E402
from indexer.records import Article, Trial  # noqa: E402
from indexer.sources import MESH_FORMATS  # noqa: E402
from search.xapian import schema, writer  # noqa: E402


def dump(paths: list[str], out: Path) -> None:
    started = time.process_time()
    report, quiet = BuildReport(), lambda event, n: None
    sources = collect_sources(paths, report, quiet)
    descriptors, lookup = load_mesh([s for s in sources if s.format in MESH_FORMATS], report, quiet)
    docs = [(d.ui, to_document(d, lookup)) for d in descriptors]
    for source in sources:
        if source.format not in MESH_FORMATS:
            for rec in parse_source(source):
                if isinstance(rec, (Trial, Article)):
                    docs.append((record_id(rec), to_document(rec, lookup)))
    out.write_bytes(pickle.dumps(docs, protocol=5))
    print(f"{len(docs):,} documents, parsed in {time.process_time() - started:.1f} CPU-s")


def write(
    docs: list[tuple[str, dict]],
    folder: Path,
    flush: int,
    replace: bool = False,
    flags: int = 0,
    part_docs: int | None = None,
) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    writer.FLUSH_THRESHOLD = flush
    if part_docs is not None:
        writer.PART_DOCS = part_docs
    os.environ["XAPIAN_FLUSH_THRESHOLD"] = str(flush + 1)
    w = writer.XapianWriter(folder, None)
    if flags != w.extra_flags:  # reopened with them (the new database is still empty)
        w.db.close()
        w.extra_flags = flags
        w._open()
    if replace:  # every document by replace_document, as an update writes (and builds did)
        w.written = None
    clock = time.process_time
    made = replaced = flushed = 0.0
    for key, document in docs:
        a = clock()
        doc, _ = schema.make_document(document)
        b = clock()
        w.put(key, doc)
        c = clock()
        w._counted()
        flushed += clock() - c
        made, replaced = made + b - a, replaced + c - b
    a = clock()
    w.db.commit()  # the last flush, then the parts' merge (if there are parts)
    b = clock()
    w.commit()
    flushed, merged = flushed + b - a, clock() - b
    total = made + replaced + flushed + merged
    way = "replace_document" if replace else "add_document"
    print(
        f"{len(docs):,} documents, flush every {flush}, parts of {writer.PART_DOCS or 'all'}:"
        f" make {made:.1f}, {way} {replaced:.1f}, flush {flushed:.1f}, merge {merged:.1f},"
        f" total {total:.1f}"
        f" CPU-s ({len(docs) / total:.0f} documents/CPU-s);"
        f" load {os.getloadavg()[0]:.1f}; {_size(folder) / 1e6:.1f} MB"
    )


def build(paths: list[str], index: Path, shards: int, part_docs: int | None = None) -> None:
    if part_docs is not None:
        writer.PART_DOCS = part_docs  # the writer processes fork from this one: they inherit it
    started = time.perf_counter()
    report = rebuild_index(paths, index, backend="xapian", shards=shards)
    wall = time.perf_counter() - started
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    mine, theirs = own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime
    n = report.total
    print(
        f"{n:,} records in {wall:.1f} s wall ({n / wall:.0f} records/s); CPU s: indexer"
        f" {mine:.1f}, writers {theirs:.1f}, total {mine + theirs:.1f}"
        f" ({n / (mine + theirs):.0f} records/CPU-s); parts of {writer.PART_DOCS or 'all'}"
        f" documents; load {os.getloadavg()[0]:.1f}"
    )


def update(index: Path, records: int, shard: int | None) -> None:
    from bench.scale import retitle
    from indexer.indexed import record_from_dict
    from search import fields as f
    from search.engine import SearchEngine
    from search.models import SearchRequest
    from search.store import current_build
    from search.xapian.shards import shard_count, shard_of

    live = current_build(index)
    engine, n = SearchEngine(index), shard_count(live)
    chosen: list[str] = []
    page = 1
    while len(chosen) < records:  # browse pages in order: the newest records first
        hits = engine.search(SearchRequest(q="", size=100, page=page)).hits
        if not hits:
            break
        ids = (h.id for h in hits if h.type != f.MESH_TYPE)
        chosen += [i for i in ids if shard is None or shard_of(i, n) == shard]
        page += 1
    found = [record_from_dict(engine.get(i)) for i in chosen[:records]]
    started, cpu = time.perf_counter(), time.process_time()
    build = retitle(index, found)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    where = "any shard" if shard is None else f"shard {shard} of {n}"
    print(
        f"{len(found):,} records of {where} updated in {wall:.1f} s wall, {cpu:.1f} CPU-s;"
        f" new build {_size(build) / 1e6:,.0f} MB (hard links included); load"
        f" {os.getloadavg()[0]:.1f}"
    )


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("paths", nargs="+")
    b = sub.add_parser("build")
    b.add_argument("paths", nargs="+")
    b.add_argument("--shards", type=int, default=1)
    b.add_argument("--part-docs", type=int, help="documents per part (writer.PART_DOCS)")
    u = sub.add_parser("update")
    u.add_argument("index")
    u.add_argument("--records", type=int, default=100)
    u.add_argument("--shard", type=int, help="only records of this shard")
    w = sub.add_parser("write")
    w.add_argument("docs")
    w.add_argument("folder")
    w.add_argument("--flush", type=int, default=writer.FLUSH_THRESHOLD)
    w.add_argument("--part-docs", type=int, help="documents per part (writer.PART_DOCS)")
    w.add_argument("--types", help="comma-separated record types to keep")
    w.add_argument("--limit", type=int, help="at most this many of each type")
    w.add_argument(
        "--dangerous", action="store_true", help="open with xapian.DB_DANGEROUS (in place)"
    )
    w.add_argument(
        "--replace", action="store_true", help="replace_document every document (the old way)"
    )
    args = p.parse_args()
    if args.command == "dump":
        dump(args.paths[:-1], Path(args.paths[-1]))
        return
    if args.command == "build":
        build(args.paths[:-1], Path(args.paths[-1]), args.shards, args.part_docs)
        return
    if args.command == "update":
        update(Path(args.index), args.records, args.shard)
        return
    docs = pickle.loads(Path(args.docs).read_bytes())
    if args.types:
        kept = args.types.split(",")
        docs = [(k, d) for k, d in docs if d["type"] in kept]
    if args.limit:
        taken: Counter[str] = Counter()
        kept_docs = []
        for key, document in docs:
            if taken[document["type"]] < args.limit:
                taken[document["type"]] += 1
                kept_docs.append((key, document))
        docs = kept_docs
    flags = writer.IN_PLACE if args.dangerous else 0
    write(docs, Path(args.folder), args.flush, args.replace, flags, args.part_docs)


if __name__ == "__main__":
    main()
