"""A quotation downloaded through the gateway prints a Hebrew and Japanese customer name as
text a reader can copy (read back with poppler's pdftotext), not as question marks."""

import pytest

from millbook_testing.pdf_text import pdftotext

pytestmark = pytest.mark.e2e

NAME = "שרה כהן 東京精密株式会社"


async def test_a_quotation_pdf_through_the_gateway_prints_every_script(gateway, admin):
    customer = await gateway.post("/v1/customers", json={"name": NAME}, headers=admin.headers)
    assert customer.status_code == 201, customer.text
    quotation = await gateway.post(
        "/v1/quotations",
        json={
            "customer_id": customer.json()["data"]["id"],
            "line_items": [
                {"product_name": "Φλάντζα — фланец", "quantity": 2, "unit_price": "15.00"}
            ],
        },
        headers=admin.headers,
    )
    assert quotation.status_code == 201, quotation.text

    pdf = await gateway.get(
        f"/v1/quotations/{quotation.json()['data']['id']}/pdf", headers=admin.headers
    )

    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdftotext(pdf.content)
    for expected in ("שרה כהן", "東京精密株式会社", "Φλάντζα — фланец"):
        assert expected in text, f"{expected!r} not in {text!r}"
    assert "?" not in text
