"""Reports as CSV rows (pure): one header row, then one row per line of the report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from millbook_billing.reports.aging import BUCKETS, AgedItem, Aging
from millbook_billing.reports.domain import (
    BalanceSheet,
    CashFlow,
    PnlSection,
    ProfitLoss,
    TrialBalance,
)
from millbook_platform.csv_cells import csv_record, text_cell
from millbook_platform.money import money_text

Row = Sequence[str]


csv_line = csv_record  # one RFC 4180 record, CRLF


def csv_lines(rows: Iterable[Row]) -> Iterator[str]:
    return (csv_line(row) for row in rows)


def _m(amount: Decimal, currency: str) -> str:
    return money_text(amount, currency) or ""


def trial_balance_rows(report: TrialBalance, currency: str) -> Iterator[Row]:
    yield ("code", "name", "account_type", "debit", "credit")
    for line in report.lines:
        yield (
            line.code,
            line.name,
            line.account_type,
            _m(line.debit, currency),
            _m(line.credit, currency),
        )
    yield ("", "Total", "", _m(report.total_debit, currency), _m(report.total_credit, currency))


def profit_loss_rows(report: ProfitLoss, currency: str) -> Iterator[Row]:
    yield ("section", "code", "name", *(p.key for p in report.periods), "total")
    sections = (
        ("revenue", report.revenue),
        ("cost_of_goods_sold", report.cost_of_goods_sold),
        ("gross_profit", report.gross_profit),
        ("expenses", report.expenses),
        ("net_income", report.net_income),
    )
    for name, section in sections:
        if isinstance(section, PnlSection):
            for account in section.accounts:
                amounts = (_m(a, currency) for a in account.amounts)
                yield (name, account.code, account.name, *amounts, _m(account.total, currency))
        amounts = (_m(a, currency) for a in section.amounts)
        yield (name, "", f"Total {name.replace('_', ' ')}", *amounts, _m(section.total, currency))


def balance_sheet_rows(report: BalanceSheet, currency: str) -> Iterator[Row]:
    yield ("section", "code", "name", "amount")
    for name, section in (
        ("assets", report.assets),
        ("liabilities", report.liabilities),
        ("equity", report.equity),
    ):
        for line in section.lines:
            yield (name, line.code or "", line.name, _m(line.amount, currency))
        yield (name, "", f"Total {name}", _m(section.total, currency))


def cash_flow_rows(report: CashFlow, currency: str) -> Iterator[Row]:
    yield ("category", "label", "inflow", "outflow", "net")
    yield ("opening_cash", "Opening cash", "", "", _m(report.opening_cash, currency))
    for line in report.lines:
        yield (
            line.category,
            line.label,
            _m(line.inflow, currency),
            _m(line.outflow, currency),
            _m(line.net, currency),
        )
    yield ("closing_cash", "Closing cash", "", "", _m(report.closing_cash, currency))


AGING_HEADER = (
    "party_id",
    "party_name",
    "document_type",
    "document_id",
    "document_number",
    "due_date",
    "days_past_due",
    "bucket",
    "open_amount",
)


def aged_item_row(aged: AgedItem, currency: str) -> Row:
    item = aged.item
    return (
        str(item.party_id or ""),
        text_cell(item.party_name),
        item.document_type or "",
        str(item.document_id or ""),
        text_cell(item.document_number),
        item.due_date.isoformat() if item.due_date else "",
        str(aged.days_past_due),
        aged.bucket,
        _m(item.amount, currency),
    )


def aging_summary_rows(report: Aging, currency: str) -> Iterator[Row]:
    """Per party, one row of bucket totals (the JSON `details` as a table)."""
    yield ("party_id", "party_name", *BUCKETS, "total")
    for party in report.parties:
        buckets = (_m(party.buckets[b], currency) for b in BUCKETS)
        yield (
            str(party.party_id or ""),
            text_cell(party.party_name),
            *buckets,
            _m(party.total, currency),
        )
