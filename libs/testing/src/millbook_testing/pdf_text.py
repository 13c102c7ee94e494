"""The text of a PDF as a reader would copy it, read back by poppler's `pdftotext`."""

from __future__ import annotations

import re
import shutil
import subprocess

BIDI_MARKS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def pdftotext(data: bytes) -> str:
    """The PDF's text in reading order: right-to-left runs come back in logical order."""
    assert shutil.which("pdftotext"), "pdftotext is needed: apt-get install poppler-utils"
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],  # noqa: S607
        input=data,
        capture_output=True,
        check=True,
    )
    return BIDI_MARKS.sub("", result.stdout.decode())
