"""How receipts, applied credit and refunds meet the ledger."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.invoices import accounting as invoice_accounting
from millbook_billing.ledger import postings
from millbook_billing.ledger import repository as ledger_repository
from millbook_billing.ledger import service as ledger
from millbook_billing.ledger.postings import Account, DocumentRef, Fx, HeldCredit, Party
from millbook_billing.models import Payment, PaymentAllocation
from millbook_billing.payments.domain import InvoiceAllocation, unapplied


def ref_of(payment: Payment) -> DocumentRef:
    return DocumentRef("payment", payment.id, payment.payment_number, None)


def fx_of(payment: Payment, base: str) -> Fx:
    assert payment.exchange_rate is not None
    return Fx(payment.currency_code, base, payment.exchange_rate)


async def customer_credit_carried(
    session: AsyncSession, tenant_id: uuid.UUID, source_id: uuid.UUID
) -> Decimal:
    """What Customer Credits still holds (its credit side, in base) for one credit source:
    a receipt's unapplied rest or a credit note's customer credit."""
    account = Account.CUSTOMER_CREDITS.value
    return -await ledger_repository.document_balance(session, tenant_id, account, source_id)


async def credit_item(session: AsyncSession, payment: Payment, base: str) -> HeldCredit:
    """A receipt's unapplied credit as it stands: take it before a piece of it is used."""
    carried = await customer_credit_carried(session, payment.tenant_id, payment.id)
    return HeldCredit(fx_of(payment, base), payment.amount, unapplied(payment), carried)


def _customer(payment: Payment, name: str) -> Party:
    assert payment.customer_id is not None
    return Party("customer", payment.customer_id, name)


async def post_receipt(
    session: AsyncSession,
    payment: Payment,
    customer_name: str,
    allocated: Sequence[InvoiceAllocation],
    base: str,
    *,
    actor: str | None,
) -> None:
    draft = postings.customer_receipt(
        payment=ref_of(payment),
        customer=_customer(payment, customer_name),
        entry_date=payment.payment_date,
        amount=payment.amount,
        allocations=[
            (
                invoice_accounting.ref_of(item.invoice),
                item.amount,
                item.receivable,
            )
            for item in allocated
        ],
        fx=fx_of(payment, base),
    )
    await ledger.post_entry(session, payment.tenant_id, draft, actor=actor)


async def post_credit_applied(
    session: AsyncSession,
    payment: Payment,
    allocation: PaymentAllocation,
    item: InvoiceAllocation,
    credit: HeldCredit,
    *,
    actor: str | None,
) -> None:
    draft = postings.customer_credit_applied(
        source=ref_of(payment),
        invoice=invoice_accounting.ref_of(item.invoice),
        customer=invoice_accounting.party_of(item.invoice),
        entry_date=allocation.allocated_on,
        amount=allocation.amount,
        # The credit leaves Customer Credits as a piece of the receipt's credit (at the rate
        # it came in) and the receivable clears as a piece of the invoice's, so neither
        # keeps a residue; the difference is an FX gain or loss.
        fx=credit,
        invoice_fx=item.receivable,
        application_id=allocation.id,
    )
    await ledger.post_entry(session, payment.tenant_id, draft, actor=actor)


async def post_refund(
    session: AsyncSession,
    refund: Payment,
    customer_name: str,
    source: DocumentRef,
    credit: HeldCredit,
    *,
    actor: str | None,
) -> None:
    """The refund out of the `source`'s credit, a piece of its open item `credit`."""
    draft = postings.customer_refund(
        payment=ref_of(refund),
        customer=_customer(refund, customer_name),
        entry_date=refund.payment_date,
        amount=refund.amount,
        fx=credit,
        source=source,
    )
    await ledger.post_entry(session, refund.tenant_id, draft, actor=actor)
