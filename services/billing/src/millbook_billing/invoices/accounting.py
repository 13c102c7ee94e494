"""How invoices meet the ledger: their parties, references, rates and postings."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.ledger import postings
from millbook_billing.ledger import service as ledger
from millbook_billing.ledger.postings import Account, DocumentRef, Fx, OpenItem, Party
from millbook_billing.models import Invoice
from millbook_billing.tenants import service as tenants

VOIDED = "invoice_voided"


async def base_currency(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    return await tenants.base_currency(session, tenant_id)


def fx_of(invoice: Invoice, base: str) -> Fx:
    assert invoice.exchange_rate is not None, "an issued invoice has its fixed rate"
    return Fx(invoice.currency_code, base, invoice.exchange_rate)


async def open_item(session: AsyncSession, invoice: Invoice, base: str) -> OpenItem:
    """The invoice's receivable as it stands: take it before a piece comes off the invoice."""
    carried = await ledger.carried_base(
        session, invoice.tenant_id, Account.ACCOUNTS_RECEIVABLE, invoice.id
    )
    return OpenItem(fx_of(invoice, base), invoice.total_amount, invoice.balance_amount, carried)


def party_of(invoice: Invoice) -> Party:
    return Party("customer", invoice.customer_id, invoice.customer_name)


def ref_of(invoice: Invoice) -> DocumentRef:
    return DocumentRef("invoice", invoice.id, invoice.invoice_number, invoice.due_date)


async def post_issued(
    session: AsyncSession, invoice: Invoice, base: str, *, actor: str | None
) -> None:
    draft = postings.invoice_issued(
        invoice=ref_of(invoice),
        customer=party_of(invoice),
        entry_date=invoice.invoice_date,
        net=invoice.subtotal - invoice.discount_amount,
        tax=invoice.tax_amount,
        total=invoice.total_amount,
        fx=fx_of(invoice, base),
    )
    await ledger.post_entry(session, invoice.tenant_id, draft, actor=actor)


async def reverse_issued(
    session: AsyncSession, invoice: Invoice, on: date, *, actor: str | None
) -> None:
    await ledger.reverse_entry(
        session,
        invoice.tenant_id,
        source_type="invoice_issued",
        source_id=invoice.id,
        reversal_source_type=VOIDED,
        entry_date=on,
        actor=actor,
    )
