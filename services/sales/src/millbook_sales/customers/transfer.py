"""Customer import (CSV upload) and export (streamed CSV) use cases."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_platform.csv_cells import csv_record, csv_records
from millbook_platform.db import unit_of_work
from millbook_platform.errors import ValidationFailed, field_error, validation_details
from millbook_platform.nul_guard import refuse_nul
from millbook_sales.customers import csv_format, repository
from millbook_sales.customers.repository import CustomerFilters
from millbook_sales.customers.schemas import CustomerCreate
from millbook_sales.customers.service import create_customers
from millbook_sales.tenants.domain import TenantCurrencies
from millbook_sales.tenants.service import accepted_currency, currencies_of

MAX_ROWS = 10_000
MAX_BYTES = 10 * 1024 * 1024
EXPORT_BATCH = 500
HEADER_ROW = 1


class RowError(BaseModel):
    row: int
    field: str
    message: str


class ImportedCustomer(BaseModel):
    row: int
    id: uuid.UUID
    customer_code: str


class ImportReport(BaseModel):
    total_rows: int
    created: int
    rejected: int
    atomic: bool
    customers: list[ImportedCustomer]
    errors: list[RowError]


@dataclass(frozen=True)
class DataRow:
    number: int  # the record's number in the file; the header is row 1
    cells: list[str]


async def import_customers(
    session: AsyncSession, tenant_id: uuid.UUID, content: bytes, *, atomic: bool, source: str
) -> ImportReport:
    """Create a customer per valid row; rejected rows are reported by number and column.

    Every row is checked before anything is written (fields, currency, code clashes),
    then the valid ones are inserted together. With `atomic` a single bad row rejects
    the file: 422 and nothing written."""
    header, rows = _parse(content)
    currencies = await currencies_of(session, tenant_id)
    candidates, errors = _validated(header, rows, currencies)
    errors += await _code_clashes(session, tenant_id, candidates)
    rejected = {error.row for error in errors}
    errors.sort(key=lambda error: error.row)
    if atomic and errors:
        raise ValidationFailed(
            f"{len(rejected)} of {len(rows)} rows are not valid; nothing was imported.",
            details=[error.model_dump() for error in errors],
        )
    accepted = [(number, body) for number, body in candidates if number not in rejected]
    customers = await create_customers(
        session, tenant_id, [body for _, body in accepted], source=source
    )
    return ImportReport(
        total_rows=len(rows),
        created=len(customers),
        rejected=len(rows) - len(customers),
        atomic=atomic,
        customers=[
            ImportedCustomer(row=number, id=customer.id, customer_code=customer.customer_code)
            for (number, _), customer in zip(accepted, customers, strict=True)
        ],
        errors=errors,
    )


def _validated(
    header: list[str], rows: Sequence[DataRow], currencies: TenantCurrencies
) -> tuple[list[tuple[int, CustomerCreate]], list[RowError]]:
    """Each row as a valid create body (currency resolved), or the errors that stop it."""
    candidates: list[tuple[int, CustomerCreate]] = []
    errors: list[RowError] = []
    for row in rows:
        if len(row.cells) != len(header):
            message = f"has {len(row.cells)} cells; the header has {len(header)} columns"
            errors.append(RowError(row=row.number, field="", message=message))
            continue
        try:
            body = CustomerCreate.model_validate(csv_format.row_body(header, row.cells))
            currency = accepted_currency(currencies, body.currency_code)
        except PydanticValidationError as exc:
            errors += _errors_of(row.number, validation_details(exc.errors()))
            continue
        except ValidationFailed as exc:
            errors += _errors_of(row.number, exc.details)
            continue
        candidates.append((row.number, body.model_copy(update={"currency_code": currency})))
    return candidates, errors


async def _code_clashes(
    session: AsyncSession, tenant_id: uuid.UUID, candidates: Sequence[tuple[int, CustomerCreate]]
) -> list[RowError]:
    """Codes named twice in the file (the later rows lose) or already in use."""
    first_row: dict[str, int] = {}
    errors: list[RowError] = []
    for number, body in candidates:
        code = body.customer_code
        if code is None:
            continue
        if code in first_row:
            message = f"{code!r} is already used in row {first_row[code]}"
            errors.append(RowError(row=number, field="customer_code", message=message))
        else:
            first_row[code] = number
    taken = await repository.codes_taken(session, tenant_id, first_row)
    errors += [
        RowError(row=first_row[code], field="customer_code", message=f"{code!r} is already in use")
        for code in sorted(taken)
    ]
    return errors


def _errors_of(row: int, details: Sequence[dict[str, Any]]) -> list[RowError]:
    return [
        RowError(row=row, field=str(detail.get("field", "")), message=str(detail.get("message")))
        for detail in details
    ]


def _parse(content: bytes) -> tuple[list[str], list[DataRow]]:
    if len(content) > MAX_BYTES:
        raise ValidationFailed(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.",
            details=[field_error("file", "too large")],
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "The file is not UTF-8 text.", details=[field_error("file", "not UTF-8")]
        ) from exc
    refuse_nul(text, "file")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ValidationFailed(
            "The file is not valid CSV.", details=[field_error("file", str(exc))]
        ) from exc
    if not records:
        raise ValidationFailed("The file is empty.", details=[field_error("file", "no header row")])
    header = csv_format.normalized_header(records[0])
    _check_header(header)
    rows = [
        DataRow(number, cells)
        for number, cells in enumerate(records[1:], start=HEADER_ROW + 1)
        if any(cell.strip() for cell in cells)
    ]
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            f"The file has {len(rows)} rows; at most {MAX_ROWS} are imported at once.",
            details=[field_error("file", f"more than {MAX_ROWS} rows")],
        )
    return header, rows


def _check_header(header: list[str]) -> None:
    problems = csv_format.header_problems(header)
    if problems:
        raise ValidationFailed(
            "The header row names unknown, repeated or missing columns.",
            details=[{"row": HEADER_ROW, **field_error(p.column, p.message)} for p in problems],
        )


async def export_csv(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, filters: CustomerFilters
) -> AsyncIterator[bytes]:
    """The tenant's customers as CSV chunks, read in keyset batches: memory stays flat."""
    yield csv_record(csv_format.COLUMNS).encode()
    async with unit_of_work(sessions, tenant_id) as session:
        async for batch in repository.export_batches(session, tenant_id, filters, EXPORT_BATCH):
            rows = (csv_format.customer_row(customer) for customer in batch)
            yield csv_records(rows).encode()
            session.expunge_all()  # keep the identity map from growing with the export
