"""What the operator sees: the progress bar on a terminal, a plain line every few seconds when
the output is a file, and the build summary."""

from __future__ import annotations

import io
from pathlib import Path

from indexer.build import SHOWN_IDS, BuildReport, rebuild_index
from indexer.report import MAX_LINE, print_report, print_skips, progress_bar

MESH = Path(__file__).parent / "data" / "mesh"


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
    assert last.startswith("[" + "#" * 30 + "] 0s: 4/4 files, 40 records")
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


class Clock:
    """The time a progress display reads: set by the test, never slept for."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_shows_records_rate_and_time_left():
    clock, term = Clock(), Terminal()
    with progress_bar(term, clock) as progress:
        progress("total", 4)
        progress("bytes_total", 4000)
        for _ in range(3):
            clock.now += 10.0
            progress("file", 1)
            progress("bytes", 1000)
            progress("records", 100)
    last = term.getvalue().rstrip("\n").split("\r")[-1]
    assert last.startswith("[" + "#" * 22 + "." * 8 + "] 30s: 3/4 files, 300 records, 10 records/s")
    assert last.rstrip().endswith("ETA 10s")  # 30 s for 3,000 of 4,000 bytes


def test_a_file_gets_a_plain_line_every_few_seconds():
    clock, log = Clock(), io.StringIO()
    with progress_bar(log, clock, every=5.0) as progress:
        progress("total", 3)
        progress("bytes_total", 300)
        for step in (2.0, 4.0, 2.0):  # the first line after 6 s, the next 5 s later
            clock.now += step
            progress("records", 60)  # as a build reports: records, then the file's bytes
            progress("bytes", 100)
            progress("file", 1)
        clock.now += 1.0
        progress("writing", 1)  # said at once, however recent the last line
    lines = log.getvalue().splitlines()  # drawn at 6 s, on the second file's records
    assert lines == [
        "progress: 6s: 1/3 files, 120 records, 20 records/s, ETA 12s",
        "progress: 9s: 3/3 files, 180 records, 20 records/s; writing the index (merging segments)",
    ]
    assert "\r" not in log.getvalue()


def test_a_tree_heading_without_descriptor_is_a_note_not_a_skip(tmp_path):
    """MeSH 2014's tree file has "Hope;F01.470.572" (copied here from data/sample's
    mtrees2014), a valid line whose descriptor the derived descriptor file lacks."""
    trees = tmp_path / "mtrees2014-hope.bin"
    trees.write_text("Hope;F01.470.572\n", encoding="utf-8")
    report = rebuild_index([str(MESH), str(trees)], tmp_path / "index")
    # the fixture tree file is a subset with headings of descriptors the fixtures lack too
    assert "Hope" in report.unused_trees and report.skipped_records == []
    events = []
    rebuild_index([str(MESH)], tmp_path / "again", lambda event, n: events.append(event))
    # reading MeSH (before any record is indexed) keeps the display alive: plain lines too
    assert events.index("read") < events.index("records")
    assert events.count("read") > 100 and events.count("bytes") == events.count("file")
    out = io.StringIO()
    print_report(report, out)
    text = out.getvalue()
    assert "skipped record" not in text and "Skipped 0 files and 0 records" in text
    n = len(report.unused_trees)
    assert (
        f"Note: {n} MeSH tree headings ({', '.join(report.unused_trees[:5])} and {n - 5} more) "
        "name no descriptor of the input, so their tree numbers are not used." in text
    )


def test_unmatched_deletion_notices_are_one_counted_note():
    report = BuildReport(deletions_unmatched=20)
    report.counts["article"] = 1
    out = io.StringIO()
    print_report(report, out)
    notes = [line for line in out.getvalue().splitlines() if "deletion" in line]
    assert notes == [
        "Note: 20 PubMed deletion notices name citations that are not in the input, so there "
        "was nothing to delete."
    ]


def test_the_sentence_vectors_encoding_has_its_own_count_rate_and_time_left():
    """Encoding the trials' and articles' vectors comes after the index is written and takes
    most of a first build's time: the line says how far it is, not "merging segments"."""
    clock, log = Clock(), io.StringIO()
    with progress_bar(log, clock, every=5.0) as progress:
        progress("total", 1)
        progress("records", 100)
        progress("file", 1)
        progress("writing", 1)
        clock.now += 10.0
        progress("encode_total", 1000)
        for _ in range(3):
            clock.now += 5.0
            progress("encoded", 100)
    lines = log.getvalue().splitlines()
    assert lines[-1] == (
        "progress: 25s: 1/1 files, 100 records, 4 records/s; sentence vectors 300/1,000 texts, "
        "20.0 texts/s, ETA 35s"
    )
    assert lines[1].endswith("; sentence vectors 0/1,000 texts, 0.0 texts/s")  # said at once
