"""An invoice's PDF prints names in every script, and its lines are capped where written."""

from millbook_platform.pdf import MAX_LINE_TEXT
from millbook_testing.callers import error_of, fields_named
from millbook_testing.pdf_text import pdftotext

from .receivables import a_customer, a_sent_invoice, lines


async def test_a_hebrew_and_cjk_customer_name_comes_back_from_the_pdf(app, caller):
    customer = await a_customer(app, caller, name="שרה כהן 東京精密")
    sent = await a_sent_invoice(caller, customer, "100.00")

    response = await caller.get(f"/v1/invoices/{sent['id']}/pdf")

    assert response.status_code == 200, response.text
    text = pdftotext(response.content)
    assert "שרה כהן" in text
    assert "東京精密" in text
    assert "?" not in text


async def test_lines_past_what_a_document_prints_are_refused_naming_the_limit(app, caller):
    customer = await a_customer(app, caller)
    line = {**lines("1.00")[0], "description": "x" * 2_000}
    body = {"customer_id": str(customer), "line_items": [line] * (MAX_LINE_TEXT // 2_000 + 1)}

    created = await caller.post("/v1/invoices", body)

    assert created.status_code == 422, created.text
    assert fields_named(created) == {"line_items"}
    assert "50,000" in error_of(created)["details"][0]["message"]
