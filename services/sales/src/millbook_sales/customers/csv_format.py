"""Customers as CSV: the columns import and export share, so an export imports back (pure).

One column per customer field; addresses take one column per part, named with a dot
(`billing_address.line1`, `billing_address.country`); `tags` are separated by `;`.
An empty cell means "not given": the field takes its default, as in the JSON API.
Text that a spreadsheet would run as a formula (`=HYPERLINK(...)`, a phone number's
`+`) is exported behind an apostrophe and read back without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from millbook_platform.csv_cells import cell_text, text_cell
from millbook_platform.money import money_text

TAG_SEPARATOR = ";"
ADDRESSES = ("billing_address", "shipping_address")
ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code", "country")
_BEFORE_ADDRESSES = (
    "customer_code",
    "name",
    "company",
    "primary_email",
    "primary_phone",
    "tax_number",
)
_AFTER_ADDRESSES = ("credit_limit", "payment_terms", "currency_code", "segment", "status", "tags")
COLUMNS: tuple[str, ...] = (
    *_BEFORE_ADDRESSES,
    *(f"{address}.{part}" for address in ADDRESSES for part in ADDRESS_PARTS),
    *_AFTER_ADDRESSES,
)
REQUIRED_COLUMNS = ("name",)


@dataclass(frozen=True)
class HeaderProblem:
    column: str
    message: str


def header_problems(header: Sequence[str]) -> list[HeaderProblem]:
    """What is wrong with a header row: unknown, repeated or missing columns."""
    known = set(COLUMNS)
    problems = [
        HeaderProblem(column or f"column {index + 1}", f"unknown column; use {', '.join(COLUMNS)}")
        for index, column in enumerate(header)
        if column not in known
    ]
    seen: set[str] = set()
    for column in header:
        if column in seen and column in known:
            problems.append(HeaderProblem(column, "column appears more than once"))
        seen.add(column)
    problems += [
        HeaderProblem(column, "required column is missing")
        for column in REQUIRED_COLUMNS
        if column not in seen
    ]
    return problems


def normalized_header(header: Sequence[str]) -> list[str]:
    return [column.strip().lower() for column in header]


def row_body(header: Sequence[str], cells: Sequence[str]) -> dict[str, Any]:
    """A data row as the body `POST /v1/customers` takes (empty cells left out)."""
    body: dict[str, Any] = {}
    for column, raw in zip(header, cells, strict=True):
        value = cell_text(raw.strip()).strip()
        if not value:
            continue
        if "." in column:
            address, part = column.split(".", 1)
            body.setdefault(address, {})[part] = value
        elif column == "tags":
            body["tags"] = [tag.strip() for tag in value.split(TAG_SEPARATOR) if tag.strip()]
        else:
            body[column] = value
    return body


def customer_row(customer: Any) -> list[str]:
    """A customer (row or view with the API's attributes) in `COLUMNS` order."""
    values: dict[str, str] = {name: _text(getattr(customer, name)) for name in _BEFORE_ADDRESSES}
    for address in ADDRESSES:
        parts: Mapping[str, Any] = getattr(customer, address) or {}
        for part in ADDRESS_PARTS:
            values[f"{address}.{part}"] = _text(parts.get(part))
    values["credit_limit"] = _text(money_text(customer.credit_limit, customer.currency_code))
    for name in ("payment_terms", "currency_code", "segment", "status"):
        values[name] = _text(getattr(customer, name))
    values["tags"] = text_cell(TAG_SEPARATOR.join(customer.tags or []))
    return [values[column] for column in COLUMNS]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return text_cell(str(value))
