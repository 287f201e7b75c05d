"""What the operator sees: the progress bar on a terminal, nothing when piped."""

from __future__ import annotations

import io

from indexer.build import SHOWN_IDS, BuildReport
from indexer.report import MAX_LINE, print_skips, progress_bar


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


def test_skips_and_duplicates_are_listed_in_bounded_lines():
    report = BuildReport(
        skipped_records=[("f.json", "line 3", "malformed: " + "x" * 5000)],
        duplicates=[("dup.json", 12, tuple(f"NCT{n:08d}" for n in range(SHOWN_IDS)))],
    )
    out = io.StringIO()
    print_skips(report, out)
    skipped, duplicates = out.getvalue().splitlines()
    assert (
        skipped.startswith("skipped record f.json: line 3: malformed: xxx")
        and len(skipped) == MAX_LINE
    )
    assert duplicates == (
        "duplicate ids in dup.json: 12 ids appear more than once (NCT00000000, NCT00000001, "
        "NCT00000002, NCT00000003, NCT00000004, NCT00000005, NCT00000006, NCT00000007, "
        "NCT00000008, NCT00000009 and 2 more); one copy of each is kept"
    )
