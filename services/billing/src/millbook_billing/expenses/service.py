"""Expense use cases: each runs in the request's transaction and only flushes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from millbook_billing.attachments import repository as attachments
from millbook_billing.attachments.service import get_attachment, store_upload
from millbook_billing.customers.service import customer_of
from millbook_billing.expenses import domain, events, repository
from millbook_billing.expenses.repository import ExpenseFilters
from millbook_billing.expenses.schemas import REQUIRED_FIELDS, ExpenseCreate, ExpenseUpdate
from millbook_billing.ledger import postings
from millbook_billing.ledger.service import post_entry
from millbook_billing.models import Attachment, Expense
from millbook_billing.settings.exchange_rates import documents as exchange_rates
from millbook_billing.tenants.service import base_currency
from millbook_platform.db import utcnow
from millbook_platform.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
)
from millbook_platform.outbox import record_event
from millbook_platform.pagination import PageMeta, PageParams

PURPOSE = "expense"
WRITABLE = tuple(name for name in ExpenseCreate.model_fields if name != "attachment_ids")


async def get_expense(
    session: AsyncSession, tenant_id: uuid.UUID, expense_id: uuid.UUID, *, lock: bool = False
) -> Expense:
    expense = await repository.get(session, tenant_id, expense_id, lock=lock)
    if expense is None:
        raise NotFound(
            "No expense with this id.", details=[field_error("expense_id", str(expense_id))]
        )
    return expense


async def attachments_of(
    session: AsyncSession, tenant_id: uuid.UUID, expense_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Attachment]]:
    """Each expense's attachments (an empty list for none), oldest first, in one query."""
    found: dict[uuid.UUID, list[Attachment]] = defaultdict(list)
    for attachment in await attachments.of_expenses(session, tenant_id, expense_ids):
        assert attachment.expense_id is not None
        found[attachment.expense_id].append(attachment)
    return {expense_id: found[expense_id] for expense_id in expense_ids}


async def list_expenses(
    session: AsyncSession, tenant_id: uuid.UUID, filters: ExpenseFilters, page: PageParams
) -> tuple[Sequence[Expense], PageMeta]:
    return await repository.list_page(session, tenant_id, filters, page)


async def create_expense(
    session: AsyncSession, tenant_id: uuid.UUID, body: ExpenseCreate, *, actor: str, source: str
) -> Expense:
    values = body.model_dump(mode="python", exclude={"attachment_ids"})
    expense = Expense(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        status=domain.ExpenseStatus.PENDING.value,
        recorded_by=actor,
        **values,
    )
    await _check(session, tenant_id, expense)
    session.add(expense)
    await session.flush()
    linked = await _link_attachments(session, tenant_id, expense, body.attachment_ids)
    record_event(
        session, events.expense_recorded(expense, linked), tenant_id=tenant_id, source=source
    )
    return expense


async def replace_expense(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    expense_id: uuid.UUID,
    body: ExpenseCreate,
    *,
    source: str,
) -> Expense:
    """PUT: every field takes the body's value or its default."""
    values = body.model_dump(mode="python")
    return await _change(session, tenant_id, expense_id, values, source=source)


async def update_expense(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    expense_id: uuid.UUID,
    body: ExpenseUpdate,
    *,
    source: str,
) -> Expense:
    values = body.model_dump(mode="python", exclude_unset=True)
    nulls = sorted(name for name in REQUIRED_FIELDS if name in values and values[name] is None)
    if nulls:
        raise ValidationFailed(
            "These fields cannot be null.",
            details=[field_error(name, "may not be null") for name in nulls],
        )
    return await _change(session, tenant_id, expense_id, values, source=source)


async def delete_expense(
    session: AsyncSession, tenant_id: uuid.UUID, expense_id: uuid.UUID, *, source: str
) -> None:
    """Only a pending expense may be deleted (its attachments go with it)."""
    expense = await get_expense(session, tenant_id, expense_id, lock=True)
    _editable(expense)
    await repository.remove(session, tenant_id, expense.id)
    event = events.expense_deleted(expense.id, utcnow())
    record_event(session, event, tenant_id=tenant_id, source=source)


async def approve_expense(
    session: AsyncSession, tenant_id: uuid.UUID, expense_id: uuid.UUID, *, actor: str, source: str
) -> Expense:
    """Approve and post it to the ledger (expense account and input tax against cash)."""
    expense = await get_expense(session, tenant_id, expense_id, lock=True)
    _decidable(expense, "approved")
    fx = await _fx(session, tenant_id, expense)
    draft = postings.expense_approved(
        expense_id=expense.id,
        category=expense.category,
        entry_date=expense.expense_date,
        net=domain.net_amount(expense.amount, expense.tax_amount),
        tax=expense.tax_amount,
        fx=fx,
    )
    entry_id = await post_entry(session, tenant_id, draft, actor=actor)
    _decide(expense, domain.ExpenseStatus.APPROVED, actor)
    await session.flush()
    linked = await _attachment_ids(session, tenant_id, expense.id)
    event = events.expense_approved(expense, linked, entry_id)
    record_event(session, event, tenant_id=tenant_id, source=source)
    return expense


async def reject_expense(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    expense_id: uuid.UUID,
    reason: str,
    *,
    actor: str,
    source: str,
) -> Expense:
    expense = await get_expense(session, tenant_id, expense_id, lock=True)
    _decidable(expense, "rejected")
    _decide(expense, domain.ExpenseStatus.REJECTED, actor)
    expense.rejection_reason = reason
    await session.flush()
    linked = await _attachment_ids(session, tenant_id, expense.id)
    record_event(
        session, events.expense_rejected(expense, linked), tenant_id=tenant_id, source=source
    )
    return expense


async def upload_attachment(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    upload: UploadFile,
    expense_id: uuid.UUID | None,
) -> Attachment:
    """Store a receipt, linked to a pending expense when one is named."""
    expense = await get_expense(session, tenant_id, expense_id, lock=True) if expense_id else None
    if expense is not None:
        _editable(expense)
    attachment = await store_upload(session, tenant_id, upload, purpose=PURPOSE)
    if expense is not None:
        attachment.expense_id = expense.id
        await session.flush()
    return attachment


async def delete_attachment(
    session: AsyncSession, tenant_id: uuid.UUID, attachment_id: uuid.UUID
) -> None:
    """An attachment of an approved or rejected expense is part of its record and stays.

    The expense is locked before the attachment, in the order every expense change uses.
    """
    attachment = await get_attachment(session, tenant_id, attachment_id, purpose=PURPOSE)
    expense_id = attachment.expense_id
    if expense_id is not None:
        _editable(await get_expense(session, tenant_id, expense_id, lock=True))
    attachment = await get_attachment(session, tenant_id, attachment_id, purpose=PURPOSE, lock=True)
    if attachment.expense_id != expense_id:
        raise Conflict(
            "The attachment was moved to another expense meanwhile; try again.",
            details=[field_error("attachment_id", str(attachment_id))],
        )
    await attachments.remove(session, tenant_id, attachment.id)


async def _change(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    expense_id: uuid.UUID,
    values: dict[str, Any],
    *,
    source: str,
) -> Expense:
    expense = await get_expense(session, tenant_id, expense_id, lock=True)
    _editable(expense)
    before = _snapshot(expense, await _attachment_ids(session, tenant_id, expense.id))
    attachment_ids = values.pop("attachment_ids", None)
    for name, value in values.items():
        setattr(expense, name, value)
    await _check(session, tenant_id, expense)
    await session.flush()
    if attachment_ids is not None:
        await _relink_attachments(session, tenant_id, expense, attachment_ids)
    linked = await _attachment_ids(session, tenant_id, expense.id)
    after = _snapshot(expense, linked)
    changed = sorted(name for name in after if before[name] != after[name])
    if changed:
        expense.updated_at = utcnow()
        await session.flush()
        event = events.expense_updated(expense, linked, changed)
        record_event(session, event, tenant_id=tenant_id, source=source)
    return expense


def _snapshot(expense: Expense, attachment_ids: Sequence[uuid.UUID]) -> dict[str, Any]:
    facts: dict[str, Any] = {name: getattr(expense, name) for name in WRITABLE}
    facts["attachment_ids"] = frozenset(attachment_ids)
    return facts


async def _check(session: AsyncSession, tenant_id: uuid.UUID, expense: Expense) -> None:
    """The expense's own rules, then that its customer exists in this organization."""
    try:
        domain.check_amounts(
            domain.ExpenseAmounts(expense.amount, expense.tax_amount, expense.currency_code)
        )
        domain.check_billable(expense.is_billable, expense.customer_id)
    except domain.ExpenseRuleBroken as exc:
        raise ValidationFailed(str(exc), details=[field_error(exc.field, str(exc))]) from exc
    if expense.customer_id is not None:
        await customer_of(session, tenant_id, expense.customer_id)


async def _link_attachments(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    expense: Expense,
    attachment_ids: Sequence[uuid.UUID],
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(attachment_ids))
    if not wanted:
        return []
    found = {
        a.id: a for a in await attachments.get_many(session, tenant_id, wanted, purpose=PURPOSE)
    }
    for index, attachment_id in enumerate(wanted):
        attachment = found.get(attachment_id)
        if attachment is None:
            raise NotFound(
                "No attachment with this id.",
                details=[field_error(f"attachment_ids[{index}]", str(attachment_id))],
            )
        if attachment.expense_id not in (None, expense.id):
            raise Conflict(
                "The attachment belongs to another expense.",
                details=[field_error(f"attachment_ids[{index}]", "belongs to another expense")],
            )
    await attachments.link_to_expense(session, tenant_id, wanted, expense.id)
    return wanted


async def _relink_attachments(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    expense: Expense,
    attachment_ids: Sequence[uuid.UUID],
) -> None:
    """The expense's attachments become exactly these; dropped ones are kept, unlinked."""
    current = await _attachment_ids(session, tenant_id, expense.id)
    dropped = [a for a in current if a not in attachment_ids]
    for attachment in await attachments.get_many(session, tenant_id, dropped, purpose=PURPOSE):
        attachment.expense_id = None
    await session.flush()
    await _link_attachments(session, tenant_id, expense, attachment_ids)


async def _attachment_ids(
    session: AsyncSession, tenant_id: uuid.UUID, expense_id: uuid.UUID
) -> list[uuid.UUID]:
    return [a.id for a in await attachments.of_expenses(session, tenant_id, [expense_id])]


async def _fx(session: AsyncSession, tenant_id: uuid.UUID, expense: Expense) -> postings.Fx:
    """Fixed at approval: the expense's own rate, else the tenant's on its expense_date."""
    base = await base_currency(session, tenant_id)
    if expense.currency_code == base:
        return postings.Fx.same(base)
    expense.exchange_rate = await exchange_rates.document_rate(
        session,
        tenant_id,
        expense.currency_code,
        expense.expense_date,
        expense.exchange_rate,
        base=base,
    )
    return postings.Fx(expense.currency_code, base, Decimal(expense.exchange_rate))


def _decide(expense: Expense, status: domain.ExpenseStatus, actor: str) -> None:
    expense.status = status.value
    expense.decided_at = utcnow()
    expense.decided_by = actor


def _editable(expense: Expense) -> None:
    try:
        domain.ensure_editable(expense.status)
    except domain.TransitionRefused as exc:
        raise InvalidTransition(str(exc), details=[field_error("status", expense.status)]) from exc


def _decidable(expense: Expense, verb: str) -> None:
    try:
        domain.ensure_decidable(expense.status, verb)
    except domain.TransitionRefused as exc:
        raise InvalidTransition(str(exc), details=[field_error("status", expense.status)]) from exc
