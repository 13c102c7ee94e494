"""A quotation's PDF prints names in every script, and its lines are capped where written."""

from millbook_platform.pdf import MAX_LINE_TEXT
from millbook_testing.callers import error_of, fields_named
from millbook_testing.pdf_text import pdftotext

from .test_quotations import customer_of, quote


async def test_a_hebrew_and_cjk_customer_name_comes_back_from_the_pdf(caller):
    customer = await customer_of(caller, name="שרה כהן 東京精密 김민준")
    body = quote(customer["id"])
    body["line_items"][0]["description"] = "Ελληνικά, Кириллица, عربي"
    q = await caller.created("/v1/quotations", body)

    response = await caller.get(f"/v1/quotations/{q['id']}/pdf")

    assert response.status_code == 200, response.text
    text = pdftotext(response.content)
    for expected in ("שרה כהן", "東京精密", "김민준", "Ελληνικά, Кириллица,", "عربي"):
        assert expected in text, expected
    assert "?" not in text


def too_long(customer_id: str) -> dict:
    body = quote(customer_id)
    line = {**body["line_items"][0], "description": "x" * 9_000}
    body["line_items"] = [line] * (MAX_LINE_TEXT // 9_000 + 1)
    return body


async def test_lines_past_what_a_document_prints_are_refused_naming_the_limit(caller):
    customer = await customer_of(caller)

    created = await caller.post("/v1/quotations", too_long(customer["id"]))

    assert created.status_code == 422, created.text
    assert fields_named(created) == {"line_items"}
    assert "50,000" in error_of(created)["details"][0]["message"]
    q = await caller.created("/v1/quotations", quote(customer["id"]))
    lines = too_long(customer["id"])["line_items"]
    patched = await caller.patch(f"/v1/quotations/{q['id']}", {"line_items": lines})
    assert patched.status_code == 422, patched.text
    assert fields_named(patched) == {"line_items"}
