"""Expense receipts over HTTP: sniffed by content, bounded in size, downloadable, per tenant."""

import hashlib
import io
import uuid

from PIL import Image

from millbook_testing.callers import error_of, fields_named

PATH = "/v1/expenses/attachments"
MB = 1024 * 1024


def pdf_bytes(size: int = 2000) -> bytes:
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    return head + b"0" * (size - len(head) - 6) + b"\n%%EOF"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "JPEG")
    return out.getvalue()


async def upload(caller, name, content, content_type="application/octet-stream", **data):
    return await caller.post(PATH, files={"file": (name, content, content_type)}, data=data)


async def test_a_pdf_upload_is_stored_and_downloads_byte_for_byte(caller):
    content = pdf_bytes(300_000)  # more than one download piece
    response = await upload(caller, "Receipt March.pdf", content, "application/pdf")
    assert response.status_code == 201, response.text
    stored = response.json()["data"]
    assert stored["filename"] == "Receipt March.pdf"
    assert stored["media_type"] == "application/pdf"
    assert stored["size"] == len(content)
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["expense_id"] is None

    download = await caller.get(f"{PATH}/{stored['id']}")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-length"] == str(len(content))
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Receipt March.pdf"')
    assert "filename*=UTF-8''Receipt%20March.pdf" in disposition


async def test_a_non_ascii_file_name_survives_the_download_headers(caller):
    stored = (await upload(caller, "Quittung Müller.pdf", pdf_bytes())).json()["data"]
    assert stored["filename"] == "Quittung Müller.pdf"
    download = await caller.get(f"{PATH}/{stored['id']}")
    disposition = download.headers["content-disposition"]
    assert 'filename="Quittung M_ller.pdf"' in disposition
    assert "filename*=UTF-8''Quittung%20M%C3%BCller.pdf" in disposition


async def test_the_kind_comes_from_the_bytes_not_the_declared_content_type(caller):
    response = await upload(caller, "scan.png", png_bytes(), "application/pdf")
    assert response.status_code == 201, response.text
    assert response.json()["data"]["media_type"] == "image/png"
    jpeg = await upload(caller, "photo.JPG", jpeg_bytes(), "text/plain")
    assert jpeg.status_code == 201, jpeg.text
    assert jpeg.json()["data"]["media_type"] == "image/jpeg"


async def test_a_png_named_pdf_is_refused(caller):
    response = await upload(caller, "invoice.pdf", png_bytes(), "application/pdf")
    assert response.status_code == 422
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert fields_named(response) == {"file"}
    assert ".pdf" in error_of(response)["message"]


async def test_content_that_is_no_pdf_png_or_jpeg_is_refused(caller):
    for name, content in (
        ("receipt.pdf", b"<html>not a pdf</html>"),
        ("receipt.exe", b"MZ\x90\x00"),
        ("notes.txt", b"plain text"),
    ):
        response = await upload(caller, name, content)
        assert response.status_code == 422, name
        assert fields_named(response) == {"file"}


async def test_an_empty_file_is_refused(caller):
    response = await upload(caller, "empty.pdf", b"")
    assert response.status_code == 422
    assert fields_named(response) == {"file"}


async def test_a_path_in_the_file_name_is_dropped(caller):
    response = await upload(caller, "../../etc/receipt.pdf", pdf_bytes())
    assert response.status_code == 201, response.text
    assert response.json()["data"]["filename"] == "receipt.pdf"


async def test_exactly_ten_megabytes_is_accepted(caller):
    response = await upload(caller, "big.pdf", pdf_bytes(10 * MB))
    assert response.status_code == 201, response.text
    assert response.json()["data"]["size"] == 10 * MB


async def test_eleven_megabytes_is_refused_before_the_body_is_read(caller):
    """The declared length alone refuses it: the client's body is not consumed."""
    chunk = b"%PDF-" + b"0" * (MB - 5)
    sent = []

    async def body():
        for _ in range(11):
            sent.append(1)
            yield chunk

    boundary = "millbook-test"
    headers = {
        **caller.headers(),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(11 * MB + 200),
    }
    response = await caller.http.post(PATH, content=body(), headers=headers)
    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"
    assert len(sent) <= 1


async def test_eleven_megabytes_without_a_declared_length_is_refused_while_read(caller):
    boundary = "millbook-test"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()

    async def body():
        yield head + b"%PDF-"
        for _ in range(11):
            yield b"0" * MB
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {**caller.headers(), "Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = await caller.http.post(PATH, content=body(), headers=headers)
    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"
    listed = await caller.get(PATH)
    assert listed.json()["meta"]["total"] == 0


async def test_attachments_are_listed_newest_first_and_deleted(caller):
    first = (await upload(caller, "a.pdf", pdf_bytes())).json()["data"]
    second = (await upload(caller, "b.png", png_bytes())).json()["data"]
    listed = await caller.get(PATH)
    assert [a["id"] for a in listed.json()["data"]] == [second["id"], first["id"]]

    deleted = await caller.delete(f"{PATH}/{first['id']}")
    assert deleted.status_code == 204
    assert (await caller.get(f"{PATH}/{first['id']}")).status_code == 404
    assert [a["id"] for a in (await caller.get(PATH)).json()["data"]] == [second["id"]]


async def test_another_tenants_attachment_does_not_exist(caller, other_tenant):
    theirs = (await upload(other_tenant, "theirs.pdf", pdf_bytes())).json()["data"]
    download = await caller.get(f"{PATH}/{theirs['id']}")
    assert download.status_code == 404
    assert error_of(download)["code"] == "RESOURCE_NOT_FOUND"
    assert (await caller.delete(f"{PATH}/{theirs['id']}")).status_code == 404
    assert (await caller.get(PATH)).json()["meta"]["total"] == 0
    assert (await other_tenant.get(f"{PATH}/{theirs['id']}")).status_code == 200


async def test_an_unknown_attachment_is_not_found(caller):
    assert (await caller.get(f"{PATH}/{uuid.uuid4()}")).status_code == 404


async def test_uploading_needs_expenses_write(caller):
    reader = caller.as_scope("expenses:read")
    response = await upload(reader, "a.pdf", pdf_bytes())
    assert response.status_code == 403
    assert "expenses:write" in error_of(response)["message"]
