"""Documents over HTTP: upload, processing off the request path (text layer or OCR),
extracted fields with confidences, the processed event, and another tenant's documents."""

from __future__ import annotations

import asyncio
import io
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from millbook_billing.documents import reading
from millbook_billing.documents.domain import DocumentStatus
from millbook_billing.documents.processing import (
    LEASE,
    MAX_ATTEMPTS,
    Outcome,
    claim_next,
    complete,
    process_documents,
)
from millbook_testing.callers import error_of, fields_named

from .conftest import events_of
from .test_attachments import pdf_bytes

PATH = "/v1/documents"
SOURCE = "/millbook/billing"

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="the tesseract program is not installed (Debian package tesseract-ocr)",
)

INVOICE_LINES = [
    "Northwind Traders Ltd",
    "INVOICE",
    "Invoice No: NW-2026-0815",
    "Invoice Date: 2026-03-04",
    "Due Date: 2026-04-03",
    "Subtotal: $1,000.00",
    "Tax (10%): $100.00",
    "Total: $1,100.00",
]


def text_pdf(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for line in lines:
        pdf.cell(0, 8, line.replace("$", "USD "), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def invoice_png(lines: list[str]) -> bytes:
    font = ImageFont.load_default(size=28)
    image = Image.new("RGB", (1000, 60 + 50 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((40, 30 + 50 * index), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def scanned_pdf(lines: list[str]) -> bytes:
    """A PDF with the invoice only as a picture: no text layer."""
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(invoice_png(lines)), x=10, y=10, w=190)
    return bytes(pdf.output())


async def uploaded(caller, name: str, content: bytes, **data: Any) -> dict[str, Any]:
    response = await caller.post(f"{PATH}/upload", files={"file": (name, content)}, data=data)
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()["data"]
    return document


async def processed(caller, sessions, document_id: str) -> dict[str, Any]:
    """The document after the job ran (as often as other tests' leftovers need)."""
    for _ in range(5):
        await process_documents(sessions, source=SOURCE)
        response = await caller.get(f"{PATH}/{document_id}")
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()["data"]
        if document["status"] != "processing":
            return document
    raise AssertionError("the document is still processing")


async def drain(sessions) -> None:
    while await process_documents(sessions, source=SOURCE):
        pass


def values(document: dict[str, Any]) -> dict[str, str | None]:
    return {name: found["value"] for name, found in document["extracted_data"].items()}


async def test_an_upload_waits_as_processing_until_the_job_reads_it(caller, sessions):
    document = await uploaded(caller, "northwind.pdf", text_pdf(INVOICE_LINES))
    assert document["status"] == "processing"
    assert (document["document_type"], document["file_name"]) == (
        "supplier_invoice",
        "northwind.pdf",
    )
    assert document["extracted_data"] is None
    status = await caller.get(f"{PATH}/{document['id']}/status")
    assert status.json()["data"]["status"] == "processing"

    done = await processed(caller, sessions, document["id"])
    assert (done["status"], done["extraction_method"], done["error"]) == (
        "completed",
        "text_layer",
        None,
    )
    assert values(done) == {
        "supplier_name": "Northwind Traders Ltd",
        "document_number": "NW-2026-0815",
        "document_date": "2026-03-04",
        "due_date": "2026-04-03",
        "currency_code": "USD",
        "subtotal": "1000.00",
        "tax_amount": "100.00",
        "total_amount": "1100.00",
    }
    confidences = {name: f["confidence"] for name, f in done["extracted_data"].items()}
    assert confidences["total_amount"] > confidences["supplier_name"] > 0
    status = (await caller.get(f"{PATH}/{document['id']}/status")).json()["data"]
    assert status["status"] == "completed"
    assert status["processed_at"] is not None


async def test_the_processed_event_carries_the_fields(caller, sessions):
    document = await uploaded(caller, "inv.pdf", text_pdf(INVOICE_LINES), document_type="receipt")
    await process_documents(sessions, source=SOURCE)
    events = await events_of(sessions, caller.tenant_id, "billing.document.processed")
    assert len(events) == 1
    event = events[0]
    assert (event["document_id"], event["status"], event["document_type"]) == (
        document["id"],
        "completed",
        "receipt",
    )
    assert event["extracted"]["total_amount"]["value"] == "1100.00"
    assert event["extracted"]["document_number"]["value"] == "NW-2026-0815"


async def test_a_document_is_processed_once(caller, sessions):
    document = await uploaded(caller, "inv.pdf", text_pdf(INVOICE_LINES))
    assert await process_documents(sessions, source=SOURCE) >= 1
    await process_documents(sessions, source=SOURCE)
    events = await events_of(sessions, caller.tenant_id, "billing.document.processed")
    assert [e["document_id"] for e in events] == [document["id"]]


@needs_tesseract
async def test_an_image_is_read_by_ocr(caller, sessions):
    document = await uploaded(caller, "scan.png", invoice_png(INVOICE_LINES))
    done = await processed(caller, sessions, document["id"])
    assert (done["status"], done["extraction_method"]) == ("completed", "ocr")
    found = values(done)
    assert found["total_amount"] == "1100.00"
    assert found["document_number"] == "NW-2026-0815"
    assert found["document_date"] == "2026-03-04"
    # read by OCR, so trusted a little less than the same text layer would be
    assert 0.5 < done["extracted_data"]["total_amount"]["confidence"] < 0.98


@needs_tesseract
async def test_a_scanned_pdf_without_text_layer_is_rendered_and_read_by_ocr(caller, sessions):
    document = await uploaded(caller, "scan.pdf", scanned_pdf(INVOICE_LINES))
    done = await processed(caller, sessions, document["id"])
    assert (done["status"], done["extraction_method"]) == ("completed", "ocr")
    assert values(done)["total_amount"] == "1100.00"


async def test_without_tesseract_an_image_fails_with_a_clear_error(caller, sessions, monkeypatch):
    monkeypatch.setattr(reading.shutil, "which", lambda _name: None)
    document = await uploaded(caller, "scan.png", invoice_png(["Total: 5.00"]))
    done = await processed(caller, sessions, document["id"])
    assert done["status"] == "failed"
    assert "tesseract" in done["error"]
    assert done["extracted_data"] is None
    events = await events_of(sessions, caller.tenant_id, "billing.document.processed")
    assert [(e["status"], e["error"]) for e in events] == [("failed", done["error"])]


async def test_a_broken_pdf_fails_without_stopping_the_others(caller, sessions):
    broken = await uploaded(caller, "broken.pdf", pdf_bytes(500))
    good = await uploaded(caller, "good.pdf", text_pdf(INVOICE_LINES))
    await process_documents(sessions, source=SOURCE)
    failed = (await caller.get(f"{PATH}/{broken['id']}/status")).json()["data"]
    assert failed["status"] == "failed"
    assert failed["error"]
    assert (await caller.get(f"{PATH}/{good['id']}")).json()["data"]["status"] == "completed"


async def test_uploads_are_checked_like_every_attachment(caller):
    lying = await caller.post(
        f"{PATH}/upload", files={"file": ("invoice.pdf", invoice_png(["x"]), "application/pdf")}
    )
    assert lying.status_code == 422
    assert fields_named(lying) == {"file"}
    bad_type = await caller.post(
        f"{PATH}/upload",
        files={"file": ("invoice.pdf", text_pdf(["x"]))},
        data={"document_type": "horoscope"},
    )
    assert bad_type.status_code == 422
    assert fields_named(bad_type) == {"document_type"}


async def test_documents_are_listed_by_status(caller, sessions):
    first = await uploaded(caller, "a.pdf", text_pdf(INVOICE_LINES))
    await process_documents(sessions, source=SOURCE)
    second = await uploaded(caller, "b.pdf", text_pdf(INVOICE_LINES))
    listed = (await caller.get(PATH)).json()
    assert [d["id"] for d in listed["data"]] == [second["id"], first["id"]]
    waiting = (await caller.get(PATH, params={"status": "processing"})).json()["data"]
    assert [d["id"] for d in waiting] == [second["id"]]


async def test_two_workers_never_process_one_document_twice(caller, sessions):
    uploads = [await uploaded(caller, f"{i}.pdf", text_pdf(INVOICE_LINES)) for i in range(4)]
    await asyncio.gather(*(process_documents(sessions, source=SOURCE) for _ in range(3)))
    events = await events_of(sessions, caller.tenant_id, "billing.document.processed")
    assert sorted(e["document_id"] for e in events) == sorted(d["id"] for d in uploads)


async def test_a_worker_that_died_mid_read_is_replaced_after_its_lease(caller, sessions):
    await drain(sessions)  # other tests' waiting documents come first in line
    document = await uploaded(caller, "inv.pdf", text_pdf(INVOICE_LINES))
    now = datetime.now(UTC)
    # A worker claims it and dies before storing anything.
    claim = await claim_next(sessions, source=SOURCE, now=now)
    assert claim is not None
    assert claim.document_id == uuid.UUID(document["id"])
    # While the lease runs nobody else takes it ...
    assert await process_documents(sessions, source=SOURCE, now=now + timedelta(minutes=1)) == 0
    status = (await caller.get(f"{PATH}/{document['id']}/status")).json()["data"]
    assert status["status"] == "processing"
    # ... after it, the next run reads it, once.
    later = now + LEASE + timedelta(seconds=1)
    assert await process_documents(sessions, source=SOURCE, now=later) == 1
    done = (await caller.get(f"{PATH}/{document['id']}")).json()["data"]
    assert done["status"] == "completed"
    events = await events_of(sessions, caller.tenant_id, "billing.document.processed")
    assert [e["document_id"] for e in events] == [document["id"]]


async def test_a_document_that_keeps_killing_its_worker_is_given_up(caller, sessions):
    await drain(sessions)  # other tests' waiting documents come first in line
    document = await uploaded(caller, "inv.pdf", text_pdf(INVOICE_LINES))
    now = datetime.now(UTC)
    for attempt in range(MAX_ATTEMPTS):
        at = now + attempt * (LEASE + timedelta(seconds=1))
        claim = await claim_next(sessions, source=SOURCE, now=at)
        assert claim is not None
        assert claim.attempt == attempt + 1
    final = now + MAX_ATTEMPTS * (LEASE + timedelta(seconds=1))
    await process_documents(sessions, source=SOURCE, now=final)
    failed = (await caller.get(f"{PATH}/{document['id']}/status")).json()["data"]
    assert failed["status"] == "failed"
    assert "given up" in failed["error"]


async def test_a_late_worker_does_not_overwrite_the_one_that_took_over(caller, sessions):
    await drain(sessions)  # other tests' waiting documents come first in line
    document = await uploaded(caller, "inv.pdf", text_pdf(INVOICE_LINES))
    now = datetime.now(UTC)
    slow = await claim_next(sessions, source=SOURCE, now=now)
    assert slow is not None
    later = now + LEASE + timedelta(seconds=1)
    assert await process_documents(sessions, source=SOURCE, now=later) == 1
    # The slow worker finally finishes: its result is dropped.
    await complete(sessions, slow, Outcome(DocumentStatus.FAILED, error="late"), source=SOURCE)
    done = (await caller.get(f"{PATH}/{document['id']}")).json()["data"]
    assert (done["status"], done["error"]) == ("completed", None)
    events = await events_of(sessions, caller.tenant_id, "billing.document.processed")
    assert len(events) == 1


async def test_document_files_are_not_listed_as_expense_receipts(caller):
    await uploaded(caller, "inv.pdf", text_pdf(INVOICE_LINES))
    assert (await caller.get("/v1/expenses/attachments")).json()["meta"]["total"] == 0


async def test_the_uploaded_file_downloads_unchanged(caller):
    content = text_pdf(INVOICE_LINES)
    document = await uploaded(caller, "inv.pdf", content)
    download = await caller.get(f"{PATH}/{document['id']}/file")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"


async def test_another_tenants_document_does_not_exist(caller, other_tenant, sessions):
    theirs = await uploaded(other_tenant, "theirs.pdf", text_pdf(INVOICE_LINES))
    for suffix in ("", "/status", "/file"):
        response = await caller.get(f"{PATH}/{theirs['id']}{suffix}")
        assert response.status_code == 404
        assert error_of(response)["code"] == "RESOURCE_NOT_FOUND"
    assert (await caller.get(PATH)).json()["meta"]["total"] == 0
    await process_documents(sessions, source=SOURCE)
    assert await events_of(sessions, caller.tenant_id, "billing.document.processed") == []
    events = await events_of(sessions, other_tenant.tenant_id, "billing.document.processed")
    assert [e["document_id"] for e in events] == [theirs["id"]]
    assert (await caller.get(f"{PATH}/{uuid.uuid4()}")).status_code == 404


async def test_document_scopes(caller):
    reader = caller.as_scope("documents:read")
    assert (await reader.get(PATH)).status_code == 200
    refused = await reader.post(f"{PATH}/upload", files={"file": ("a.pdf", text_pdf(["x"]))})
    assert refused.status_code == 403
