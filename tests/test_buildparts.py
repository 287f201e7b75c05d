"""bench/buildparts.py `write`: the fixture documents written in parts and merged, as a new
build's writer does (search/xapian/writer.py PART_DOCS), give the database written whole, and
the figures name the parts and the merge's own CPU seconds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_xapian_pipeline import content
from test_xapian_schema import documents

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import buildparts  # noqa: E402
from search.xapian import writer as writer_module  # noqa: E402
from search.xapian.schema import DB_DIR  # noqa: E402


def test_write_in_parts_gives_the_database_written_whole(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(writer_module, "PART_DOCS", writer_module.PART_DOCS)
    monkeypatch.setattr(writer_module, "FLUSH_THRESHOLD", writer_module.FLUSH_THRESHOLD)
    docs = documents()
    buildparts.write(docs, tmp_path / "whole", flush=5, part_docs=0)
    whole = capsys.readouterr().out
    buildparts.write(docs, tmp_path / "parts", flush=5, part_docs=7)
    parts = capsys.readouterr().out
    assert "parts of all:" in whole and "merge 0.0," in whole
    assert "parts of 7:" in parts and "merge " in parts
    assert not (tmp_path / "parts" / "xapian.parts").exists(), "the parts go once merged"
    whole_db = content(tmp_path / "whole" / DB_DIR)
    assert content(tmp_path / "parts" / DB_DIR) == whole_db
    assert len(whole_db) == len({key for key, _ in docs}) > 14  # a record met twice is one


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))
