"""What an uploaded file is: judged by its first bytes, never by its name or content type."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

CHUNK_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Enough of the head to recognize every kind below.
SNIFF_BYTES = 16


class FileKind(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"


MEDIA_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
}

_SIGNATURES = (
    (FileKind.PDF, b"%PDF-"),
    (FileKind.PNG, b"\x89PNG\r\n\x1a\n"),
    (FileKind.JPEG, b"\xff\xd8\xff"),
)

_EXTENSIONS = {
    "pdf": FileKind.PDF,
    "png": FileKind.PNG,
    "jpg": FileKind.JPEG,
    "jpeg": FileKind.JPEG,
    "jpe": FileKind.JPEG,
    "jfif": FileKind.JPEG,
}

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/]")


class UploadRejected(ValueError):
    """The bytes are not an allowed kind, or not what the file name claims."""


@dataclass(frozen=True)
class Sniffed:
    kind: FileKind
    media_type: str
    filename: str


def sniff_kind(head: bytes) -> FileKind | None:
    """The kind the bytes start as; None when they are none of PDF, PNG or JPEG."""
    for kind, signature in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def extension_of(filename: str) -> str | None:
    """`Scan.PDF` -> `pdf`; None when the name has no extension."""
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem and extension else None


def clean_filename(filename: str | None, kind: FileKind) -> str:
    """The name without path, control characters or quotes, at most 255 characters;
    a missing name becomes `upload.<kind>`."""
    raw = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", unicodedata.normalize("NFC", raw)).strip().strip(".")
    if not name:
        return f"upload.{'jpg' if kind is FileKind.JPEG else kind.value}"
    if len(name) <= 255:
        return name
    extension = extension_of(name)
    suffix = f".{extension}" if extension and len(extension) < 20 else ""
    return name[: 255 - len(suffix)] + suffix


def judge_upload(filename: str | None, head: bytes, allowed: Collection[str]) -> Sniffed:
    """What the upload is, or UploadRejected saying why it may not be stored."""
    kind = sniff_kind(head)
    names = ", ".join(k.upper() for k in allowed)
    if kind is None:
        raise UploadRejected(f"The file is not a {names} (judged by its content).")
    if kind.value not in allowed:
        raise UploadRejected(f"A {kind.value.upper()} is not accepted here; send a {names}.")
    extension = extension_of(filename or "")
    if extension is not None and _EXTENSIONS.get(extension) is not kind:
        raise UploadRejected(
            f"The file name says .{extension} but the content is a {kind.value.upper()}."
        )
    return Sniffed(kind, MEDIA_TYPES[kind], clean_filename(filename, kind))
