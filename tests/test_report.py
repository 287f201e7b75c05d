"""What the operator sees: the progress bar on a terminal, nothing when piped."""

from __future__ import annotations

import io

from indexer.report import progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only():
    term = Terminal()
    with progress_bar(term) as progress:
        progress("total", 4)
        for _ in range(4):
            progress("file", 1)
            progress("records", 10)
    last = term.getvalue().rstrip("\n").split("\r")[-1]
    assert last.startswith("[" + "#" * 30 + "] 4/4 files, 40 records")
    piped = io.StringIO()
    with progress_bar(piped) as progress:
        progress("total", 4)
    assert piped.getvalue() == ""
