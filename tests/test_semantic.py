"""The semantic first stage (search/semantic/): the real model, its checks, the vectors of a
build through build, update and delete, and the fusion with BM25 (rank=best / rank=bm25)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.update import update_index
from search.engine import SearchEngine
from search.models import SearchRequest
from search.semantic import model
from search.semantic.fusion import rrf
from search.semantic.vectors import FOLDER, Vectors
from search.store import current_build

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "semantic" / "reference.json").read_text())["records"]


@pytest.fixture(scope="module")
def encoder() -> model.Encoder:
    return model.shared_encoder()


@pytest.fixture(scope="module", params=["whoosh", "xapian"])
def built(request, vector_built) -> Path:
    """The session's index with vectors of this backend (tests/conftest.py; the second build
    finds its texts in the shared cache)."""
    path, events = vector_built(request.param)
    PROGRESS[path] = events
    return path


PROGRESS: dict[Path, list[tuple[str, int]]] = {}  # each build's progress events


def test_the_model_gives_the_published_models_vectors(encoder):
    texts = [r["text"] for r in REFERENCE]
    ours = encoder.encode(texts, model.DOC_TOKENS)
    theirs = np.array([r["vector"] for r in REFERENCE], dtype=np.float32)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.abs(ours - theirs).max() < 1e-4
    assert float(ours[0] @ ours[1]) < 0.5  # a skin cancer review and a lung cancer trial


def test_a_model_file_that_is_not_the_published_one_is_refused(tmp_path):
    real = model.model_dir()
    for name in model.EXPECTED_SHA256:
        os.symlink(real / name, tmp_path / name)
    (tmp_path / "tokenizer.json").unlink()
    shutil.copy(real / "tokenizer.json", tmp_path / "tokenizer.json")
    with (tmp_path / "tokenizer.json").open("ab") as fh:
        fh.write(b" ")
    with pytest.raises(model.ModelUnavailable, match="is not the published all-MiniLM-L6-v2"):
        model.Encoder(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(model.ModelUnavailable, match="model.safetensors is missing"):
        model.Encoder(tmp_path)


def test_rrf_orders_the_pool_by_both_ranks_and_keeps_the_rest_below():
    sims = np.array([0.1, np.nan, 0.9, 0.5])  # the second has no vector (a MeSH record)
    order, scores = rrf(6, sims, pool=4, k=1)
    # BM25 ranks 1..4; semantic ranks: third 1, fourth 2, first 3 (a tie keeps BM25's order)
    assert order.tolist() == [0, 2, 3, 1, 4, 5]
    assert scores[:4] == pytest.approx([1 / 2 + 1 / 4, 1 / 4 + 1 / 2, 1 / 5 + 1 / 3, 1 / 3])
    assert np.all(np.diff(scores) <= 0)
    assert rrf(3, np.array([np.nan, np.nan, np.nan]))[0].tolist() == [0, 1, 2]


def test_a_build_with_vectors_encodes_trials_and_articles(built):
    meta = json.loads((current_build(built) / "meta.json").read_text())
    vectors = Vectors.load(current_build(built))
    assert vectors is not None
    assert (
        meta["vectors"]["rows"]
        == len(vectors.ids)
        == meta["counts"]["trial"] + meta["counts"]["article"]
    )
    assert not any(i.startswith("D0") for i in vectors.ids)  # MeSH descriptors rank by BM25
    assert meta["vectors"]["model"] == "all-MiniLM-L6-v2"
    # the progress bar hears how many texts the model encodes, and each chunk done
    said = [(e, n) for e, n in PROGRESS[built] if e in ("encode_total", "encoded")]
    encoded = meta["vectors"]["encoded"]
    if encoded:
        assert said[0] == ("encode_total", encoded)
        assert sum(n for e, n in said[1:]) == encoded
    else:
        assert said == []  # every text came from the cache


def test_rank_best_fuses_and_rank_bm25_does_not(built):
    engine = SearchEngine(built, learned=False)  # the first stage alone (tests/test_ltr.py)
    q = "liquid biopsy for lung cancer treatment resistance"
    bm25 = engine.search(SearchRequest(q=q, rank="bm25", size=100))
    best = engine.search(SearchRequest(q=q, size=100))
    assert (bm25.ranking, best.ranking) == ("bm25", "bm25+semantic")
    assert bm25.total == best.total and bm25.facets == best.facets
    assert 20 < len(best.hits) == best.listed < 100  # the whole listing, in one pool
    assert {h.id for h in bm25.hits} == {h.id for h in best.hits}
    assert [h.id for h in bm25.hits] != [h.id for h in best.hits]
    scores = [h.score for h in best.hits]
    assert scores == sorted(scores, reverse=True)
    pages = [engine.search(SearchRequest(q=q, size=5, page=p)).hits for p in (1, 2, 3, 4)]
    assert [h.id for page in pages for h in page] == [h.id for h in best.hits[:20]]
    dated = engine.search(SearchRequest(q=q, sort="newest"))
    assert dated.ranking == "bm25"
    assert engine.status()["ranking"] == "bm25+semantic"


def test_without_vectors_search_ranks_by_bm25(built, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(built, copy, symlinks=True)
    shutil.rmtree(current_build(copy) / FOLDER)
    engine = SearchEngine(copy)
    page = engine.search(SearchRequest(q="lung cancer"))
    assert page.ranking == "bm25" and page.total
    assert engine.status()["ranking"] == "bm25"
    plain = SearchEngine(built).search(SearchRequest(q="lung cancer", rank="bm25"))
    assert [h.id for h in page.hits] == [h.id for h in plain.hits]


def test_vectors_follow_update_and_delete_and_switch_with_the_build(built, tmp_path, vector_cache):
    index = tmp_path / "index"
    shutil.copytree(built, index, symlinks=True)
    before = current_build(index)
    old = Vectors.load(before)
    notice = tmp_path / "delete.xml"
    header = (DATA / "pubmed" / "pubmed21n1298_selection.xml").read_text().splitlines()[:3]
    notice.write_text(
        "\n".join([*header, "  <DeleteCitation>", '<PMID Version="1">29782900</PMID>'])
        + "\n</DeleteCitation>\n</PubmedArticleSet>\n"
    )
    sources = [str(DATA / "trials" / "json"), str(notice)]
    report = update_index(sources, index, vector_cache=vector_cache)
    after = current_build(index)
    assert after != before and report.deleted == 1 and sum(report.added.values()) == 8
    new = Vectors.load(after)
    assert "29782900" in old.row and "29782900" not in new.row
    added = set(new.ids) - set(old.ids)
    assert len(added) == 8 and all(i.startswith("NCT") for i in added)
    assert len(new.ids) == len(set(new.ids)) == len(old.ids) - 1 + 8
    kept = next(i for i in old.ids if i in new.row and i != "29782900")
    assert np.array_equal(old.matrix[old.row[kept]], new.matrix[new.row[kept]])
    meta = json.loads((after / "meta.json").read_text())
    assert meta["vectors"]["rows"] == len(new.ids)
    engine = SearchEngine(index, learned=False)
    page = engine.search(SearchRequest(q="lung cancer", size=50))
    assert page.ranking == "bm25+semantic"
    assert "29782900" not in {h.id for h in page.hits}


def test_the_api_takes_rank_and_says_how_it_ranked(built):
    from web import create_app

    client = create_app({"INDEX_DIR": str(built), "TESTING": True}).test_client()
    best = client.get("/api/search?q=lung+cancer").get_json()
    bm25 = client.get("/api/search?q=lung+cancer&rank=bm25").get_json()
    # keywords keep their shape's fusion; the learned model orders questions and claims
    # (search/ltr SHAPES, tests/test_ltr.py)
    assert (best["ranking"], bm25["ranking"]) == ("bm25+semantic", "bm25")
    bad = client.get("/api/search?q=lung&rank=neural")
    assert bad.status_code == 400 and "rank must be one of best, bm25" in bad.get_json()["error"]
    assert client.get("/api/health").get_json()["ranking"] == "bm25+semantic+ltr"
    page = client.get("/search?q=lung+cancer&rank=bm25").get_data(as_text=True)
    assert 'name="rank" value="bm25"' in page and "BM25 alone." in page
