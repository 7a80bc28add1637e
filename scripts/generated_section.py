"""The one way the scripts that generate part of a README (preflight_table.py, lab_commands_table.py)
read and write it: the text between two marker comments, which the tests compare with a fresh rendering."""

from __future__ import annotations

import sys
from pathlib import Path


def read(path: Path, start: str, end: str) -> str:
    """The text between the markers; AssertionError when the file lacks them."""
    text = path.read_text()
    assert start in text and end in text, f"{path} lacks the markers {start!r} and {end!r}"
    return text.split(start, 1)[1].split(end, 1)[0]


def write(path: Path, start: str, end: str, body: str) -> int:
    """Put body between the markers (exit status 1, said on stderr, when the file lacks them)."""
    text = path.read_text()
    if start not in text or end not in text:
        print(f"{path} lacks the markers {start!r} and {end!r}", file=sys.stderr)
        return 1
    head, rest = text.split(start, 1)
    path.write_text(f"{head}{start}\n{body}{end}{rest.split(end, 1)[1]}")
    return 0
