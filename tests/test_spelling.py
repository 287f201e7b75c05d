"""Did-you-mean from the unstemmed vocabulary (works although searched fields are stemmed)."""

from __future__ import annotations

from whoosh import index as whoosh_index

from search.store import current_build
from search.whoosh.spelling import suggest


def test_suggestions(index_dir):
    ix = whoosh_index.open_dir(str(current_build(index_dir)), readonly=True)
    with ix.reader() as reader:
        assert suggest(reader, "infarktion", ("infarktion",)) == "infarction"
        assert suggest(reader, "Melanomma IL-2", ("Melanomma", "IL-2")) == "melanoma IL-2"
        assert suggest(reader, "melanoma", ("melanoma",)) is None
        assert suggest(reader, "5-FU xyzzyqq", ("5-FU", "xyzzyqq")) is None
    ix.close()
