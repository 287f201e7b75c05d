"""Input files made from real records to break a reader (issue 15): each with the reason the
indexer gives for it. Shared by test_build.py (in process) and test_cli.py (the CLI)."""

from __future__ import annotations

import gzip
from pathlib import Path

STUDY_JSON = Path(__file__).parent / "data" / "trials" / "json" / "NCT00042536.json"  # real


def hostile_files(folder: Path, bomb_mib: int = 4) -> dict[str, str]:
    """Files made from real records to break a reader, and the reason each one gets."""
    folder.mkdir(exist_ok=True)
    study = STUDY_JSON.read_bytes()
    packed = gzip.compress(study)
    files = {
        "deep.json": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply to read"),
        "truncated.json.gz": (packed[: len(packed) // 3], "truncated or corrupt compressed"),
        "corrupt.json.gz": (
            packed[:30] + bytes(b ^ 0xFF for b in packed[30:60]) + packed[60:],
            "truncated or corrupt compressed data (Error -3 while decompressing",
        ),
        "bomb.json.gz": (
            gzip.compress(b"[" + study + b"," + b" " * (bomb_mib << 20) + b"]"),
            "decompresses more than 100 times its compressed size",
        ),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {str(folder / name): reason for name, (_, reason) in files.items()}
