"""The biomedical analyzer: compounds kept whole and split, stop list, Snowball stems."""

import gzip
import itertools
import pickle
import re
from pathlib import Path

import pytest
from nltk.stem.snowball import SnowballStemmer

from search.analysis import WORD, BioAnalyzer, analyzer, exact_analyzer
from search.fields import term_key

SAMPLE_MESH = Path(__file__).parent.parent / "data" / "sample" / "mesh" / "d2014.en_gb.bin.gz"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("IL-6", ["il-6", "il", "6", "il6"]),
        ("5-FU", ["5-fu", "5", "fu", "5fu"]),
        ("CD4+", ["cd4+", "cd4"]),
        ("HbA1c", ["hba1c"]),
        ("COVID-19", ["covid-19", "covid", "19", "covid19"]),
        ("T-cells", ["t-cell", "t", "cell", "tcell"]),
    ],
)
def test_compounds_are_kept_whole_and_split(text, expected):
    assert analyzer().terms(text) == expected


def test_query_mode_asks_for_the_whole_compound_only():
    assert analyzer().terms("IL-6 and CD4+ T-cells", mode="query") == ["il-6", "cd4+", "t-cell"]


def test_parts_share_the_position_of_the_whole():
    tokens = [(t.text, t.pos) for t in analyzer()("IL-6 receptor", positions=True)]
    assert tokens == [("il-6", 0), ("il", 0), ("6", 0), ("il6", 0), ("receptor", 1)]


def test_stop_list_keeps_meaningful_short_words():
    a = analyzer()
    assert a.terms("the US and the UK") == ["us", "uk"]
    assert a.terms("cancer of the breast") == ["cancer", "breast"]


def test_stop_words_do_not_take_positions_so_phrases_match_across_them():
    tokens = [(t.text, t.pos) for t in analyzer()("cancer of the breast", positions=True)]
    assert tokens == [("cancer", 0), ("breast", 1)]


def test_character_offsets_point_into_the_original_text():
    text = "Serum IL-6 rose."
    spans = [(t.text, text[t.startchar : t.endchar]) for t in analyzer()(text, chars=True)]
    assert spans[:2] == [("serum", "Serum"), ("il-6", "IL-6")]


def test_exact_analyzer_does_not_stem():
    assert exact_analyzer().terms("Infarctions running") == ["infarctions", "running"]
    assert analyzer().terms("Infarctions running") == ["infarct", "run"]


def test_analyzer_survives_pickling_as_the_schema_is_stored_in_the_index():
    a = pickle.loads(pickle.dumps(analyzer()))
    assert isinstance(a, BioAnalyzer) and a.terms("tumours") == ["tumour"]


def test_stems_are_nltk_snowball_on_real_vocabulary():
    """The cached stemmer must give exactly NLTK's Snowball stems."""
    with gzip.open(SAMPLE_MESH, "rt", encoding="utf-8") as lines:
        text = " ".join(itertools.islice(lines, 60_000)).lower()
    words = sorted(set(re.findall(r"[a-z]+", text)))
    assert len(words) > 10_000
    nltk_stemmer = SnowballStemmer("english")
    ours = BioAnalyzer(stem=True, stoplist=frozenset())
    different = [w for w in words if ours.stem_word(w) != nltk_stemmer.stem(w)]
    assert different == []


def fixture_texts() -> list[str]:
    """Every text value of the index documents of the real fixture records (tests/data)."""
    from indexer.build import BuildReport, collect_sources
    from indexer.documents import MeshLookup, to_document
    from indexer.parse import parse_source
    from indexer.records import Article, MeshDescriptor, Trial

    data = Path(__file__).parent / "data"
    paths = [str(data / name) for name in ("trials", "pubmed", "mesh")]
    texts = []
    for source in collect_sources(paths, BuildReport(), lambda event, n: None):
        for rec in parse_source(source):
            if isinstance(rec, (Trial, Article, MeshDescriptor)):
                doc = to_document(rec, MeshLookup())
                texts += [v for v in doc.values() if isinstance(v, str) and v]
    return texts


@pytest.mark.parametrize("make", [analyzer, exact_analyzer], ids=["stemmed", "exact"])
def test_the_writers_fast_path_gives_the_tokens_of_the_analyzer(make):
    """positioned() (cached per word, no Token objects) == the generator, on real records,
    their weighted sections included; a second pass (from the cache) too."""
    texts = fixture_texts()
    assert len(texts) > 1_000 and any("\x1e" in t for t in texts)
    a = make()
    expected = [[(t.text, t.pos) for t in make()(text, positions=True)] for text in texts]
    assert [a.positioned(text) for text in texts] == expected
    assert [a.positioned(text) for text in texts] == expected


def test_the_fast_path_keeps_compounds_and_positions():
    assert analyzer().positioned("IL-6 and the T-cells") == [
        ("il-6", 0), ("il", 0), ("6", 0), ("il6", 0), ("t-cell", 1), ("t", 1), ("cell", 1),
        ("tcell", 1),
    ]  # fmt: skip


TRICKY = (
    "IL-6 5-FU CD4+ HbA1c COVID-19 T-cells the-of of-the a+b++ x/y.z 3.5 İstanbul STRASSE"
    " Straße naïve ﬁbre Ǆemal ½-dose ΑΒΓ-cells running Infarctions, Myocardial"
)


@pytest.mark.parametrize("make", [analyzer, exact_analyzer], ids=["stemmed", "exact"])
def test_the_per_word_caches_give_the_terms_of_the_analyzer(make):
    """word_terms (a writer's new words) and query_terms (MeSH term keys) give what the
    generator gives, on every word and text of the real fixture records and tricky words."""
    texts = [*fixture_texts(), TRICKY, *TRICKY.split()]
    words = sorted({w for text in texts for w in re.findall(WORD, text)})
    a, fresh = make(), make()
    expected = [fresh.terms(w) for w in words]
    assert [list(a.word_terms(w)) for w in words] == expected
    assert [list(a.word_terms(w)) for w in words] == expected  # from the cache
    expected = [fresh.terms(text, mode="query") for text in texts]
    assert [a.query_terms(text) for text in texts] == expected
    assert [a.query_terms(text) for text in texts] == expected
    assert term_key("Infarction, Myocardial") == term_key("myocardial infarctions")
