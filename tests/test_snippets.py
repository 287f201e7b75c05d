"""Snippets: best field, best sentences, HTML-escaped, only <mark> added."""

from __future__ import annotations

from search.snippets import make_snippet

TRIAL = {
    "type": "trial",
    "brief_summary": "RATIONALE: Drugs may stop tumor cells. PURPOSE: Phase II trial of "
    "interleukin-2 in patients with metastatic melanoma & <b>other</b> tumors.",
    "detailed_description": "",
    "conditions": ["Melanoma (Skin)"],
    "interventions": [{"type": "BIOLOGICAL", "name": "aldesleukin"}],
    "primary_outcomes": [],
    "eligibility_criteria": "Histologically proven melanoma.",
}


def test_marks_matches_in_the_best_sentence_and_escapes_everything_else():
    html = make_snippet(TRIAL, {"melanoma", "interleukin-2"})
    assert html.startswith(
        "RATIONALE: Drugs may stop tumor cells. PURPOSE: Phase II trial of "
        "<mark>interleukin-2</mark>"
    )
    assert "<mark>melanoma</mark> &amp; &lt;b&gt;other&lt;/b&gt;" in html
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_falls_back_to_another_field_when_it_matches_more():
    html = make_snippet(TRIAL, {"aldesleukin"})
    assert html == "Interventions: <mark>aldesleukin</mark>"


def test_article_sections_keep_their_labels():
    article = {
        "type": "article",
        "abstract": [
            {"label": "BACKGROUND", "category": "", "text": "Nothing here."},
            {"label": "RESULTS", "category": "", "text": "IL-6 levels rose."},
        ],
        "keywords": [],
    }
    assert make_snippet(article, {"il-6"}) == "Results: <mark>IL-6</mark> levels rose."


def test_no_match_gives_the_start_of_the_summary():
    html = make_snippet(TRIAL, {"zebra"})
    assert html.startswith("RATIONALE: Drugs may stop tumor cells.")


def test_long_text_shows_the_sentences_with_the_most_query_words():
    filler = "Patients were followed for several years in the clinic. " * 12
    record = {
        "type": "mesh",
        "scope_note": filler + "Melanoma responds to interleukin-2. " + filler,
        "entry_terms": [],
    }
    html = make_snippet(record, {"melanoma", "interleukin-2"})
    assert "<mark>Melanoma</mark> responds to <mark>interleukin-2</mark>." in html
    assert html.startswith("… ") and html.endswith(" …") and len(html) < 400


# -- the same snippets as the straightforward way, on real records -------------------------------


def _reference_snippet(record: dict, terms: set[str]) -> str:
    """make_snippet as first written: NLTK Punkt's own span_tokenize, every word analysed, every
    sentence window tested against every match."""
    from search import nltkdata
    from search.analysis import WORD, analyzer
    from search.snippets import MAX_CHARS, _mark, _texts

    analyse = analyzer()

    def terms_of(word: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.text for t in analyse(word.lower(), removestops=False)))

    best = None
    for label, text in _texts(record):
        if not text:
            continue
        found = {t for w in set(WORD.findall(text)) for t in terms_of(w)} & terms
        if best is None or len(found) > best[0]:
            best = (len(found), label, text)
            if len(found) == len(terms):
                break
    if best is None:
        return ""
    _, label, text = best
    spans = [
        (m.start(), m.end(), t)
        for m in WORD.finditer(text)
        for t in terms_of(m.group())
        if t in terms
    ]
    sentences = list(nltkdata.sentence_splitter().span_tokenize(text)) or [(0, len(text))]
    window, best_score = sentences[0], -1.0
    for i, (start, end) in enumerate(sentences):
        stop = end
        if i + 1 < len(sentences) and sentences[i + 1][1] - start <= MAX_CHARS:
            stop = sentences[i + 1][1]
        score = len({t for s, e, t in spans if s >= start and e <= stop}) * 10 - i * 0.01
        if score > best_score:
            window, best_score = (start, stop), score
    start, end = window
    if end - start > MAX_CHARS:
        inside = [s for s, e, _ in spans if start <= s < end]
        centre = inside[0] if inside else start
        start = max(start, centre - MAX_CHARS // 3)
        end = min(end, start + MAX_CHARS)
    html = _mark(text[start:end], [x for x in spans if x[0] >= start and x[1] <= end], start)
    return label + ("… " if start > 0 else "") + html + (" …" if end < len(text) else "")


def _fixture_records() -> list[dict]:
    """The fixture records and those of a data/sample PubMed file, as the index stores them."""
    from pathlib import Path

    from indexer.build import BuildReport, collect_sources
    from indexer.content import record_dict
    from indexer.parse import parse_source
    from indexer.records import Article, MeshDescriptor, Trial

    data = Path(__file__).parent / "data"
    paths = [str(data / name) for name in ("trials", "pubmed", "mesh", "records")]
    sample = data.parent.parent / "data/sample"
    paths += [str(sample / "pubmed/PubData2XL_pubmed_data3.xml"), str(sample / "trials/studies")]
    paths.append(str(sample / "trials/ctg-studies_koy570-herniated_disc.json.gz"))
    return [
        record_dict(rec)
        for source in collect_sources(paths, BuildReport(), lambda e, n: None)
        for rec in parse_source(source)
        if isinstance(rec, (Trial, Article, MeshDescriptor))
    ]


def test_snippets_of_real_records_are_those_of_the_straightforward_way():
    """Queries made of each fixture record's own words (every 5th..., three of them, with a
    prefix's and another record's), compared with _reference_snippet."""
    from search.analysis import WORD, analyzer
    from search.snippets import _texts

    analyse = analyzer()
    records = _fixture_records()
    assert len(records) > 100
    cases = 0
    for n, record in enumerate(records):
        words = WORD.findall(" ".join(text for _, text in _texts(record)))
        other = WORD.findall(" ".join(text for _, text in _texts(records[n - 1])))
        for step in (5, 11, 23):
            picked = words[step::step][:3] + other[step : step + 1]
            terms = {t for w in picked for t in analyse.terms(w.lower())}
            if not terms:
                continue
            assert make_snippet(record, terms) == _reference_snippet(record, terms), (n, terms)
            cases += 1
    assert cases > 300


def test_a_plain_words_only_term_is_its_stem_the_word_but_its_last_two_letters():
    """What _could_match relies on (words it need not analyse): an alphabetic word's terms are
    its Snowball stem alone, which is the word's own beginning but for at most its last two
    letters; on every word of the fixture records and NLTK's special words."""
    from nltk.stem.snowball import EnglishStemmer

    from search.analysis import WORD
    from search.snippets import _terms_of, _texts

    words = {w for r in _fixture_records() for _, text in _texts(r) for w in WORD.findall(text)}
    words |= set(EnglishStemmer()._EnglishStemmer__special_words)  # skies -> sky, dying -> die
    words |= {"ability", "possibility", "activity", "organization", "valency", "relational"}
    plain = {w for w in words if w.lower().isalpha()}
    assert len(plain) > 5000
    known = _terms_of(plain)
    assert [
        w for w in plain if len(known[w]) != 1 or not w.lower().startswith(known[w][0][:-2])
    ] == []
    assert not "dying".startswith(known["dying"][0][:-1])  # "die": the last letter is not enough


def test_only_words_beginning_as_a_term_does_are_analysed():
    """A plain word is analysed (a new word's stem costs ~15-80 us) only when it begins with a
    query term less that term's last two letters; other words, non-alphabetic ones and those
    analysed before are all kept."""
    from search.snippets import _could_match

    words = {"qwertzability", "qwertzium", "qwertzable-2", "Qwertzabilities", "qxz"}
    assert _could_match(words, {"qwertzabl"}) == {
        "qwertzability",
        "qwertzable-2",
        "Qwertzabilities",
    }
    assert _could_match(words, {"qw"}) == words  # a term of two letters filters nothing


def test_a_words_terms_are_the_analyzers():
    """_analysed (a plain word: its stem; letters and digits: itself; a compound: the
    analyzer) gives the analyzer's terms of every word of the fixture records, stop words kept;
    and a word of letters and digits is analysed only when it is a query term."""
    from search.analysis import WORD, analyzer
    from search.snippets import _analysed, _could_match, _texts

    analyse = analyzer()
    words = {w for r in _fixture_records() for _, text in _texts(r) for w in WORD.findall(text)}
    words |= {"İstanbul", "COVID-19", "CD4+", "t-cells", "3.5", "h1n1", "²³", "The", "of"}
    assert len({w for w in words if not w.isalpha()}) > 500
    for w in words:
        expected = tuple(dict.fromkeys(t.text for t in analyse(w.lower(), removestops=False)))
        assert _analysed(w.lower()) == expected, w
    found = _could_match({"h1n1zz", "2019zz", "covid-19zz", "covid-2019zz"}, {"2019zz"})
    assert found == {"2019zz", "covid-2019zz"}


def test_words_analysed_before_are_found_by_the_terms_they_make():
    """The words of the cache are looked up by term (_makers: no test or step per word): each
    cached word making a term, and no other; a word first analysed in one text of a record is
    marked in the next text too."""
    from search.snippets import _TERMS_OF, _makers, _terms_of

    known = _terms_of({"Zqxtumours", "zqxtumour", "ZQXTUMOR", "zqxother"})
    assert _makers({"zqxtumour"}) == {w for w in _TERMS_OF if "zqxtumour" in _TERMS_OF[w]}
    assert _makers({"zqxtumour"}) == {w for w in known if known[w] == ("zqxtumour",)}
    assert "zqxother" not in _makers({"zqxtumour", "zqxtumor"})
    record = {
        "type": "mesh",
        "scope_note": "Zqxnewword growth. " * 30,
        "entry_terms": ["Zqxnewword", "zqxseconds"],
    }
    terms = {"zqxnewword", "zqxsecond"}
    expected = "Entry terms: <mark>Zqxnewword</mark>; <mark>zqxseconds</mark>"
    assert make_snippet(record, terms) == expected == _reference_snippet(record, terms)
