"""A quotation as a printable document (pure: rows of text for `millbook_platform.pdf`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from millbook_platform.money import price_text, quantity_text
from millbook_platform.pdf import PdfDocument, address_lines, amount_text
from millbook_sales.models import Customer, Quotation, QuotationLine

COLUMNS = ("Item", "Qty", "Unit price", "Discount", "Tax", "Amount")
HUNDRED = Decimal(100)


def quotation_document(
    quotation: Quotation,
    lines: Sequence[QuotationLine],
    customer: Customer,
    seller_name: str | None,
) -> PdfDocument:
    currency = quotation.currency_code
    return PdfDocument(
        title="Quotation",
        number=quotation.quote_number,
        seller=[seller_name] if seller_name else [],
        recipient=recipient_lines(customer),
        facts=_facts(quotation, customer),
        columns=COLUMNS,
        rows=[_row(line, currency) for line in lines],
        totals=_totals(quotation),
        notes=[
            (label, text)
            for label, text in (("Terms", quotation.terms), ("Notes", quotation.notes))
            if text
        ],
    )


def pdf_filename(quotation: Quotation) -> str:
    return f"{quotation.quote_number or f'quotation-draft-{quotation.id}'}.pdf"


def recipient_lines(customer: Customer) -> list[str]:
    lines = [customer.name]
    if customer.company and customer.company != customer.name:
        lines.append(customer.company)
    lines.extend(address_lines(customer.billing_address))
    if customer.tax_number:
        lines.append(f"Tax number: {customer.tax_number}")
    return lines


def _facts(quotation: Quotation, customer: Customer) -> list[tuple[str, str]]:
    facts = [
        ("Date", quotation.quotation_date.isoformat()),
        ("Valid until", quotation.valid_until.isoformat() if quotation.valid_until else None),
        ("Customer", customer.customer_code),
        ("Payment terms", quotation.payment_terms),
        (
            "Lead time",
            f"{quotation.lead_time_days} days" if quotation.lead_time_days is not None else None,
        ),
        ("Currency", quotation.currency_code),
    ]
    return [(label, value) for label, value in facts if value]


def _days(days: int | None) -> str | None:
    return None if days is None else f"{days} days"


def _notes(quotation: Quotation) -> list[tuple[str, str]]:
    notes = (("Terms", quotation.terms), ("Notes", quotation.notes))
    return [(label, text) for label, text in notes if text]


def _row(line: QuotationLine, currency: str) -> list[str]:
    item = line.product_name + (f"\n{line.description}" if line.description else "")
    return [
        item,
        quantity_text(line.quantity) or "",
        _grouped(price_text(line.unit_price, currency) or ""),
        f"{quantity_text(line.discount_percent)}%",
        f"{quantity_text(line.tax_rate * HUNDRED)}%",
        amount_text(line.subtotal - line.discount_amount, currency),
    ]


def _grouped(decimal_text: str) -> str:
    return f"{Decimal(decimal_text):,}" if decimal_text else ""


def _totals(quotation: Quotation) -> list[tuple[str, str]]:
    currency = quotation.currency_code

    def text(amount: Decimal) -> str:
        return f"{amount_text(amount, currency)} {currency}"

    net = quotation.subtotal - quotation.discount_amount
    totals = []
    if quotation.discount_amount:
        totals.append(("Gross", text(quotation.subtotal)))
        totals.append(("Discount", f"-{text(quotation.discount_amount)}"))
    totals.append(("Subtotal", text(net)))
    totals.append(("Tax", text(quotation.tax_amount)))
    totals.append(("Total", text(quotation.total_amount)))
    return totals
