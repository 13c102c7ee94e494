"""What an upload is: judged by its first bytes, checked against its name."""

import pytest

from millbook_billing.attachments.domain import (
    FileKind,
    UploadRejected,
    clean_filename,
    extension_of,
    judge_upload,
    sniff_kind,
)

PDF = b"%PDF-1.7\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
ALL = ("pdf", "png", "jpeg")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PDF, FileKind.PDF),
        (PNG, FileKind.PNG),
        (JPEG, FileKind.JPEG),
        (b"\xff\xd8\xff\xdb", FileKind.JPEG),
        (b"GIF89a", None),
        (b"PK\x03\x04", None),
        (b"%PD", None),
        (b"\x89PNG", None),
        (b"", None),
        (b" %PDF-1.4", None),
    ],
)
def test_the_kind_comes_from_the_magic_bytes(head, kind):
    assert sniff_kind(head) is kind


@pytest.mark.parametrize(
    ("name", "head", "media_type"),
    [
        ("receipt.pdf", PDF, "application/pdf"),
        ("RECEIPT.PDF", PDF, "application/pdf"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("scan.png", PNG, "image/png"),
        ("no-extension", PNG, "image/png"),
        (None, PDF, "application/pdf"),
    ],
)
def test_a_name_that_agrees_with_the_content_is_accepted(name, head, media_type):
    assert judge_upload(name, head, ALL).media_type == media_type


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("invoice.pdf", PNG),
        ("photo.png", JPEG),
        ("photo.jpg", PDF),
        ("notes.txt", PDF),
        ("receipt.pdf", b"<html>"),
        ("receipt.pdf", b"GIF89a"),
    ],
)
def test_content_that_contradicts_its_name_or_is_not_allowed_is_rejected(name, head):
    with pytest.raises(UploadRejected):
        judge_upload(name, head, ALL)


def test_a_caller_may_narrow_the_kinds():
    assert judge_upload("a.pdf", PDF, ("pdf",)).kind is FileKind.PDF
    with pytest.raises(UploadRejected, match="PNG is not accepted"):
        judge_upload("a.png", PNG, ("pdf",))


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("a.PDF", "pdf"),
        ("a.tar.gz", "gz"),
        ("noext", None),
        (".hidden", None),
        ("dir/a.png", "png"),
    ],
)
def test_extension_of(name, extension):
    assert extension_of(name) == extension


def test_file_names_lose_paths_quotes_and_control_characters():
    assert clean_filename("../../etc/passwd.pdf", FileKind.PDF) == "passwd.pdf"
    assert clean_filename("C:\\Users\\me\\scan.png", FileKind.PNG) == "scan.png"
    assert clean_filename('bad"name\r\n.pdf', FileKind.PDF) == "badname.pdf"
    assert clean_filename("", FileKind.JPEG) == "upload.jpg"
    assert clean_filename(None, FileKind.PDF) == "upload.pdf"
    long = clean_filename("x" * 300 + ".pdf", FileKind.PDF)
    assert (len(long), long[-4:]) == (255, ".pdf")
