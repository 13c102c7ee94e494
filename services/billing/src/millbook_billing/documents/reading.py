"""The text of an uploaded document: a PDF's own text layer, else OCR with Tesseract.

Blocking (pypdf, pypdfium2, a `tesseract` subprocess): callers run it in a thread.
pypdf and pypdfium2 are imported on first use: they are a tenth of billing's import time,
which a restarted process pays before it serves again.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAX_PAGES = 10
OCR_MAX_PAGES = 5
OCR_DPI = 300
OCR_TIMEOUT_S = 120.0
# A text layer with fewer letters and digits than this is a scan with stray marks.
MIN_TEXT_LAYER_CHARS = 20


class ReadFailed(Exception):
    """The document's text could not be read; the message is shown to the user."""


@dataclass(frozen=True)
class Reading:
    text: str
    method: str  # text_layer | ocr


def read_text(content: bytes, media_type: str) -> Reading:
    if media_type == "application/pdf":
        return _read_pdf(content)
    if media_type in ("image/png", "image/jpeg"):
        suffix = ".png" if media_type == "image/png" else ".jpg"
        with tempfile.TemporaryDirectory(prefix="millbook-ocr-") as folder:
            image = Path(folder) / f"page{suffix}"
            image.write_bytes(content)
            return Reading(ocr_image(image), "ocr")
    raise ReadFailed(f"Cannot read a {media_type} document.")


def _read_pdf(content: bytes) -> Reading:
    text = pdf_text_layer(content)
    if sum(ch.isalnum() for ch in text) >= MIN_TEXT_LAYER_CHARS:
        return Reading(text, "text_layer")
    return Reading(_ocr_pdf(content), "ocr")


def pdf_text_layer(content: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise ReadFailed("The PDF is encrypted.")
        return "\n".join(page.extract_text() or "" for page in reader.pages[:MAX_PAGES])
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ReadFailed(f"The PDF could not be read: {exc}") from exc


def _ocr_pdf(content: bytes) -> str:
    """Render the first pages of a scanned PDF and OCR each."""
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError as exc:
        raise ReadFailed(f"The PDF could not be rendered: {exc}") from exc
    try:
        with tempfile.TemporaryDirectory(prefix="millbook-ocr-") as folder:
            texts = []
            for index in range(min(len(pdf), OCR_MAX_PAGES)):
                image = Path(folder) / f"page{index}.png"
                pdf[index].render(scale=OCR_DPI / 72).to_pil().save(image)
                texts.append(ocr_image(image))
            return "\n".join(texts)
    finally:
        pdf.close()


def ocr_image(image: Path) -> str:
    """`tesseract <image> stdout`; a clear ReadFailed when it is missing or fails."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise ReadFailed(
            "OCR is not available on this server: the `tesseract` program is not installed "
            "(Debian package tesseract-ocr)."
        )
    try:
        # The program found on PATH, given our own temporary file: no user input.
        done = subprocess.run(  # noqa: S603
            [binary, str(image), "stdout"],
            capture_output=True,
            timeout=OCR_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ReadFailed(f"OCR took longer than {OCR_TIMEOUT_S:.0f} s and was stopped.") from exc
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no detail"]
        raise ReadFailed(f"OCR failed: {detail[0][:300]}")
    return done.stdout.decode(errors="replace")
