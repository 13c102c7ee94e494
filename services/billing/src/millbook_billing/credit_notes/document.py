"""A credit note as a printable document (pure: rows of text for `millbook_platform.pdf`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from millbook_billing.credit_notes.domain import available_credit
from millbook_billing.invoices.document import COLUMNS, seller_lines
from millbook_billing.models import CreditNote, CreditNoteLine, Invoice
from millbook_billing.settings.schemas import BillingSettingsOut
from millbook_platform.money import price_text, quantity_text
from millbook_platform.pdf import PdfDocument, address_lines, amount_text

HUNDRED = Decimal(100)


def credit_note_document(
    note: CreditNote,
    lines: Sequence[CreditNoteLine],
    invoice: Invoice,
    settings: BillingSettingsOut,
    organization_name: str | None,
) -> PdfDocument:
    """The credit note addressed as its invoice was (the billing details fixed at issue)."""
    currency = note.currency_code
    return PdfDocument(
        title="Credit note",
        number=note.credit_note_number,
        seller=seller_lines(settings, organization_name),
        recipient=[invoice.customer_name, *address_lines(invoice.billing_address)],
        facts=_facts(note, invoice),
        columns=COLUMNS,
        rows=[_row(line, currency) for line in lines],
        totals=_totals(note),
        notes=[("Reason", note.reason)] if note.reason else [],
    )


def pdf_filename(note: CreditNote) -> str:
    return f"{note.credit_note_number}.pdf"


def _facts(note: CreditNote, invoice: Invoice) -> list[tuple[str, str]]:
    facts = [
        ("Credit date", note.credit_date.isoformat()),
        ("Credits invoice", note.invoice_number),
        ("Invoice date", invoice.invoice_date.isoformat()),
        ("Currency", note.currency_code),
    ]
    return [(label, value) for label, value in facts if value]


def _row(line: CreditNoteLine, currency: str) -> list[str]:
    return [
        line.description,
        quantity_text(line.quantity) or "",
        price_text(line.unit_price, currency) or "",
        f"{quantity_text(line.discount_percent)}%" if line.discount_percent else "",
        f"{quantity_text(line.tax_rate * HUNDRED)}%" if line.tax_rate else "",
        amount_text(line.total_amount, currency),
    ]


def _totals(note: CreditNote) -> list[tuple[str, str]]:
    """What was credited, and where it went: off the invoice's balance, or to credit."""
    currency = note.currency_code
    totals = [("Subtotal", amount_text(note.subtotal, currency))]
    if note.discount_amount:
        totals.append(("Discount", "-" + amount_text(note.discount_amount, currency)))
    totals.append(("Tax", amount_text(note.tax_amount, currency)))
    totals.append((f"Total credited {currency}", amount_text(note.total_amount, currency)))
    if note.applied_amount:
        totals.append(
            (f"Applied to {note.invoice_number}", amount_text(note.applied_amount, currency))
        )
    if note.customer_credit_amount:
        totals.append(("Customer credit", amount_text(note.customer_credit_amount, currency)))
        totals.append(("Credit available", amount_text(available_credit(note), currency)))
    return totals
