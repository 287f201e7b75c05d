"""The Xapian documents of the real fixture records are pinned: every term with its wdf and
positions, every value slot, the document data and the spelling words. A change to the writer's
speed paths (search/xapian/schema.py, search/analysis.py) must leave them byte for byte as they
were; a change of the index layout must update tests/data/xapian/documents.json on purpose
(`python tests/test_xapian_schema.py` rewrites it) and the readers with it."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import xapian

from indexer.build import BuildReport, collect_sources, load_mesh
from indexer.content import record_id
from indexer.documents import to_document
from indexer.parse import parse_source
from indexer.records import Article, Trial
from indexer.sources import MESH_FORMATS
from search.xapian.schema import MAX_TERM_BYTES, PAD_TERM, make_document

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "xapian" / "documents.json"
SHOWN = "NCT00002845"  # a melanoma trial, written out whole in the golden file


def documents() -> list[tuple[str, dict]]:
    """(id, index document) of every fixture record, as the indexer makes them (MeSH first)."""
    paths = [str(DATA / name) for name in ("trials", "pubmed", "mesh", "records")]
    report, quiet = BuildReport(), lambda event, n: None
    sources = collect_sources(paths, report, quiet)
    mesh = [s for s in sources if s.format in MESH_FORMATS]
    descriptors, lookup = load_mesh(mesh, report, quiet)
    out = [(d.ui, to_document(d, lookup)) for d in descriptors]
    for source in sources:
        if source.format not in MESH_FORMATS:
            for rec in parse_source(source):
                if isinstance(rec, (Trial, Article)):
                    out.append((record_id(rec), to_document(rec, lookup)))
    return out


def canonical(doc: xapian.Document, spelling: list[str]) -> dict:
    """Everything a xapian.Document holds, in a stable order (bytes as latin-1 text)."""
    return {
        "terms": [[t.term.decode("latin-1"), t.wdf, list(t.positer)] for t in doc.termlist()],
        "values": [[v.num, v.value.decode("latin-1")] for v in doc.values()],
        "data": hashlib.sha1(doc.get_data()).hexdigest(),
        "spelling": spelling,
    }


def digest(form: dict) -> str:
    return hashlib.sha1(json.dumps(form, sort_keys=True).encode()).hexdigest()


def current() -> dict:
    forms = {}
    for key, document in documents():
        forms[f"{document['type']} {key}"] = canonical(*make_document(document))
    return forms


def test_the_documents_of_the_fixture_records_are_the_pinned_ones():
    golden = json.loads(GOLDEN.read_text())
    forms = current()
    assert len(forms) == len(golden["digests"]) > 50
    shown = forms[f"trial {SHOWN}"]
    assert shown == golden["shown"], "the terms of a fixture trial changed"
    assert len(shown["terms"]) > 300 and any(t[2] for t in shown["terms"])
    changed = [k for k, form in forms.items() if golden["digests"].get(k) != digest(form)]
    assert changed == [], f"{len(changed)} documents changed, first: {changed[:5]}"


def test_a_changed_word_changes_the_pinned_form():
    """The check can fail: one word more in a title is a different document."""
    key, document = next(d for d in documents() if d[0] == SHOWN)
    before = digest(canonical(*make_document(document)))
    document["title"] += " zebrafishy"
    assert digest(canonical(*make_document(document))) != before


def test_an_overlong_word_is_no_term_yet_takes_its_place_in_the_length():
    """A word past Xapian's term limit (ALL's own loop and a prefixed field's) is left out of
    the terms, and the padding keeps the document's length ALL's token count as before."""
    _, document = next(d for d in documents() if d[0] == SHOWN)
    made = {}
    for word in ("zebrafishy", "x" * 300):
        extended = {**document, "all": f"{document['all']} {word}"}
        extended["title"] = f"{document['title']} {word}"
        made[word] = make_document(extended)[0]
    short, long = ({t.term: (t.wdf, list(t.positer)) for t in d.termlist()} for d in made.values())
    assert all(len(t) <= MAX_TERM_BYTES for t in long)
    gone = {b"zebrafishi", b"XTITLE:zebrafishi"}
    assert set(short) - set(long) == gone
    pad = PAD_TERM.encode()
    assert sum(w for w, _ in long.values()) == sum(w for w, _ in short.values())
    assert long[pad][0] == short[pad][0] + short[b"zebrafishi"][0] + short[b"XTITLE:zebrafishi"][0]
    kept = {t: v for t, v in short.items() if t not in gone and t != pad}
    assert {t: v for t, v in long.items() if t != pad} == kept
    values = [{v.num: v.value for v in d.values()} for d in made.values()]
    assert values[0] == values[1]


if __name__ == "__main__":  # rewrite the golden file (only for a layout changed on purpose)
    forms = current()
    golden = {"shown": forms[f"trial {SHOWN}"], "digests": {k: digest(v) for k, v in forms.items()}}
    GOLDEN.write_text(json.dumps(golden, indent=0, sort_keys=True) + "\n")
    sys.exit(0)
