"""Do two indexes hold the same thing? (an updated index against a full rebuild)

    python bench/compare_indexes.py INDEX_A INDEX_B

Compares the live builds record by record: the set of ids, each record's content hash, and for
the fields whose values come from look-ups beyond the record itself (MeSH UIs, tree numbers,
topics, links) and the facet fields, the ids under every term. Prints the differences (at most
20 of each kind) and exits 1 if there are any.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from whoosh import index as whoosh_index  # noqa: E402

from search import fields as f  # noqa: E402
from search.store import current_build  # noqa: E402

FIELDS = (f.TYPE, f.MESH_UI, f.MESH_TREE, f.MESH_CAT, f.MESH_MAJOR, f.LINKS, *f.FACET_FIELDS)


def view(index_dir: Path) -> tuple[dict[str, str], dict[tuple[str, str], frozenset[str]]]:
    ix = whoosh_index.open_dir(str(current_build(index_dir)), readonly=True)
    with ix.searcher() as s:
        reader = s.reader()
        ids = {d: s.stored_fields(d)[f.ID] for d in reader.all_doc_ids()}
        hashes = {ids[d]: s.stored_fields(d)[f.HASH] for d in ids}
        terms = {}
        for name in dict.fromkeys(FIELDS):
            for term in reader.field_terms(name):
                docs = frozenset(ids[d] for d in reader.postings(name, term).all_ids())
                if docs:
                    terms[(name, str(term))] = docs
    ix.close()
    return hashes, terms


def main() -> int:
    a, b = (Path(p) for p in sys.argv[1:3])
    (hash_a, terms_a), (hash_b, terms_b) = view(a), view(b)
    problems = []
    problems += [f"only in {a}: {i}" for i in sorted(hash_a.keys() - hash_b.keys())]
    problems += [f"only in {b}: {i}" for i in sorted(hash_b.keys() - hash_a.keys())]
    problems += [
        f"content differs: {i}" for i in sorted(hash_a.keys() & hash_b.keys())
        if hash_a[i] != hash_b[i]
    ]  # fmt: skip
    for key in sorted(terms_a.keys() | terms_b.keys()):
        left, right = terms_a.get(key, frozenset()), terms_b.get(key, frozenset())
        if left != right:
            problems.append(f"{key[0]}:{key[1]}: {sorted(left ^ right)[:5]} differ")
    print(f"{len(hash_a):,} records in {a}, {len(hash_b):,} in {b}; {len(terms_a):,} terms")
    for line in problems[:20]:
        print(line)
    print(f"{len(problems)} differences" if problems else "identical")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
