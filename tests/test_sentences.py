"""search/sentences.py gives NLTK Punkt's sentence spans, on real record texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import nltkdata
from search.sentences import splitter
from search.snippets import _texts

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


def record_texts(paths: list[Path]) -> list[str]:
    """Every snippet candidate text (search/snippets.py's _texts) of the real records under
    `paths`, as the index stores them."""
    from indexer.build import BuildReport, collect_sources
    from indexer.content import record_dict
    from indexer.parse import parse_source
    from indexer.records import Article, MeshDescriptor, Trial

    texts = []
    for source in collect_sources([str(p) for p in paths], BuildReport(), lambda e, n: None):
        for rec in parse_source(source):
            if isinstance(rec, (Trial, Article, MeshDescriptor)):
                texts += [text for _, text in _texts(record_dict(rec)) if text]
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """The fixtures' texts and a data/sample PubMed file's (real abstracts: "et al.",
    "Fig. 2", numbers, quotes and parentheses around sentence ends)."""
    paths = [DATA / "trials", DATA / "pubmed", DATA / "mesh", DATA / "records"]
    sample = ROOT / "data/sample"
    extra = [
        "pubmed/PubData2XL_pubmed_data3.xml",
        "trials/ctg-studies_koy570-herniated_disc.json.gz",
    ]
    return record_texts([*paths, *(sample / name for name in extra)])


def test_spans_are_punkts_on_every_real_text(texts):
    punkt = nltkdata.sentence_splitter()
    assert len(texts) > 300
    different = [t for t in texts if splitter().spans(t) != list(punkt.span_tokenize(t))]
    assert different == []


def test_spans_are_punkts_again_from_the_remembered_decisions(texts):
    """A second pass takes every break decision from the splitter's memory: the same spans."""
    punkt = nltkdata.sentence_splitter()
    for text in texts:
        splitter().spans(text)
    assert splitter()._decisions
    assert all(splitter().spans(t) == list(punkt.span_tokenize(t)) for t in texts)


@pytest.mark.parametrize("cut", [1, 2, 3, 7])
def test_spans_are_punkts_on_texts_cut_anywhere(texts, cut):
    """Texts that end or start mid-sentence, on a mark, a quote or a space (each real text cut
    at every `cut`-th candidate break and just after it)."""
    punkt = nltkdata.sentence_splitter()
    pieces = []
    for text in texts[::cut]:
        for n, match in enumerate(splitter()._period.finditer(text)):
            if n % cut == 0:
                pieces += [text[: match.end()], text[match.end() :], text[: match.end() + 1]]
    assert len(pieces) > 100
    assert [splitter().spans(p) for p in pieces] == [list(punkt.span_tokenize(p)) for p in pieces]


def test_an_empty_or_blank_text_has_no_sentence():
    assert splitter().spans("") == [] == list(nltkdata.sentence_splitter().span_tokenize(""))
    assert splitter().spans("  \n") == list(nltkdata.sentence_splitter().span_tokenize("  \n"))


def test_the_first_spans_up_to_a_position_are_the_start_of_all_of_them(texts):
    """spans(text, until) (search/snippets.py's window: sentences beyond the last match and
    the one after it cannot be shown) stops after the first two spans and the first that
    starts beyond `until`: the same spans as the whole text's, up to there."""
    stopped = 0
    for text in texts:
        every = splitter().spans(text)
        for until in sorted({0, 1, len(text) // 3, len(text) // 2, len(text) - 1, len(text)}):
            first = splitter().spans(text, until)
            assert first == every[: len(first)]
            if first != every:
                stopped += 1
                assert len(first) >= 2 and first[-1][0] > until
                assert all(start <= until for start, _ in first[:-1][1:])
    assert stopped > 100


def test_a_plain_words_break_is_punkts_decision_on_every_real_candidate(texts):
    """_plain_break (the period's own token, no abbreviation, initial, number or collocation
    word of the model): Punkt's own decision on that candidate's context is a break, on every
    candidate of the real texts; and most candidates are such words."""
    sp = splitter()
    plain = tokenized = other = 0
    for text in texts:
        for match, word in sp._contexts(text):
            if match.group() == "." and sp._plain_break(word):
                assert sp._decide(word + match.group() + match.group("after_tok")), word
                plain += 1
                tokenized += not (word.isascii() and word.isalpha())
            else:
                other += 1
    assert plain > 4 * other > 500
    assert tokenized > 300  # "(GEO).", "MK2206.", "0.05).": the period's own token


def test_a_plain_words_break_is_decided_without_punkt():
    """Punkt is asked (and its decision remembered) only for the other candidates: an
    abbreviation of the model ("al."), an initial, a number, a collocation's first word."""
    text = "Many patients zqximproved. Others did not (Smith et al. 2019). See Fig. 2 here."
    sp = splitter()
    spans = sp.spans(text)
    assert spans == list(nltkdata.sentence_splitter().span_tokenize(text))
    assert "zqximproved. Others" not in sp._decisions
    assert {"al. 2019).", "Fig. 2"} <= set(sp._decisions)
    text = "It binds (zqxGEO). These were 2.5 mg (p < 0.05). Zqx-12. Next"
    assert sp.spans(text) == list(nltkdata.sentence_splitter().span_tokenize(text))
    assert not {"(zqxGEO). These", "0.05). Zqx-12.", "Zqx-12. Next"} & set(sp._decisions)
