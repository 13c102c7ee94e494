"""An invoice as a printable document (pure: rows of text for `millbook_platform.pdf`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from millbook_billing.models import Invoice, InvoiceLine
from millbook_billing.settings.schemas import BillingSettingsOut
from millbook_platform.money import price_text, quantity_text
from millbook_platform.pdf import PdfDocument, address_lines, amount_text

COLUMNS = ("Description", "Qty", "Unit price", "Discount", "Tax", "Amount")
HUNDRED = Decimal(100)


def invoice_document(
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    settings: BillingSettingsOut,
    organization_name: str | None,
) -> PdfDocument:
    currency = invoice.currency_code
    return PdfDocument(
        title="Invoice" if invoice.invoice_number else "Draft invoice",
        number=invoice.invoice_number,
        seller=seller_lines(settings, organization_name),
        recipient=[invoice.customer_name, *address_lines(invoice.billing_address)],
        facts=_facts(invoice),
        columns=COLUMNS,
        rows=[_row(line, currency) for line in lines],
        totals=_totals(invoice),
        notes=_notes(invoice, settings),
    )


def pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.invoice_number or f'invoice-draft-{invoice.id}'}.pdf"


def seller_lines(settings: BillingSettingsOut, organization_name: str | None) -> list[str]:
    name = settings.legal_name or organization_name
    lines = [name] if name else []
    if settings.address:
        lines.extend(part.strip() for part in settings.address.splitlines() if part.strip())
    if settings.tax_number:
        lines.append(f"Tax number: {settings.tax_number}")
    if settings.email:
        lines.append(str(settings.email))
    return lines


def _facts(invoice: Invoice) -> list[tuple[str, str]]:
    facts = [
        ("Invoice date", invoice.invoice_date.isoformat()),
        ("Due date", invoice.due_date.isoformat()),
        ("Payment terms", invoice.payment_terms),
        ("Currency", invoice.currency_code),
        ("Payment reference", invoice.invoice_number),
    ]
    return [(label, value) for label, value in facts if value]


def _row(line: InvoiceLine, currency: str) -> list[str]:
    return [
        line.description,
        quantity_text(line.quantity) or "",
        price_text(line.unit_price, currency) or "",
        f"{quantity_text(line.discount_percent)}%" if line.discount_percent else "",
        f"{quantity_text(line.tax_rate * HUNDRED)}%" if line.tax_rate else "",
        amount_text(line.total_amount, currency),
    ]


def _totals(invoice: Invoice) -> list[tuple[str, str]]:
    currency = invoice.currency_code
    totals = [("Subtotal", amount_text(invoice.subtotal, currency))]
    if invoice.discount_amount:
        totals.append(("Discount", "-" + amount_text(invoice.discount_amount, currency)))
    totals.append(("Tax", amount_text(invoice.tax_amount, currency)))
    totals.append((f"Total {currency}", amount_text(invoice.total_amount, currency)))
    if invoice.paid_amount or invoice.credited_amount:
        settled = invoice.paid_amount + invoice.credited_amount
        totals.append(("Paid and credited", "-" + amount_text(settled, currency)))
        totals.append((f"Balance due {currency}", amount_text(invoice.balance_amount, currency)))
    return totals


def _notes(invoice: Invoice, settings: BillingSettingsOut) -> list[tuple[str, str]]:
    payment = settings.payment_instructions
    if payment and invoice.invoice_number:
        payment = f"{payment}\nPlease quote {invoice.invoice_number} as the payment reference."
    notes = (("How to pay", payment), ("Terms", invoice.terms), ("Notes", invoice.notes))
    return [(label, text) for label, text in notes if text]
