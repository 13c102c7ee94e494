"""Report responses: money as decimal strings in the tenant's base currency."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from millbook_billing.reports import aging, domain
from millbook_platform.money import money_text


def _m(amount: Decimal, currency: str) -> str:
    return money_text(amount, currency) or "0"


class TrialBalanceAccount(BaseModel):
    code: str
    name: str
    account_type: str
    debit: str
    credit: str


class TrialBalanceReport(BaseModel):
    as_of_date: date
    currency_code: str
    accounts: list[TrialBalanceAccount]
    total_debit: str
    total_credit: str

    @classmethod
    def of(cls, report: domain.TrialBalance, currency: str) -> TrialBalanceReport:
        return cls(
            as_of_date=report.as_of,
            currency_code=currency,
            accounts=[
                TrialBalanceAccount(
                    code=line.code,
                    name=line.name,
                    account_type=line.account_type,
                    debit=_m(line.debit, currency),
                    credit=_m(line.credit, currency),
                )
                for line in report.lines
            ],
            total_debit=_m(report.total_debit, currency),
            total_credit=_m(report.total_credit, currency),
        )


class PeriodColumn(BaseModel):
    key: str
    start_date: date
    end_date: date


class PnlAccountLine(BaseModel):
    code: str
    name: str
    amounts: list[str]
    total: str


class PnlTotalLine(BaseModel):
    amounts: list[str]
    total: str


class PnlSectionLines(PnlTotalLine):
    accounts: list[PnlAccountLine]


class ProfitLossReport(BaseModel):
    start_date: date
    end_date: date
    period: str
    currency_code: str
    periods: list[PeriodColumn]
    revenue: PnlSectionLines
    cost_of_goods_sold: PnlSectionLines
    gross_profit: PnlTotalLine
    expenses: PnlSectionLines
    net_income: PnlTotalLine

    @classmethod
    def of(cls, report: domain.ProfitLoss, currency: str) -> ProfitLossReport:
        def total(line: domain.PnlTotal) -> PnlTotalLine:
            return PnlTotalLine(
                amounts=[_m(a, currency) for a in line.amounts], total=_m(line.total, currency)
            )

        def section(part: domain.PnlSection) -> PnlSectionLines:
            accounts = [
                PnlAccountLine(
                    code=a.code,
                    name=a.name,
                    amounts=[_m(x, currency) for x in a.amounts],
                    total=_m(a.total, currency),
                )
                for a in part.accounts
            ]
            return PnlSectionLines(
                accounts=accounts,
                amounts=[_m(a, currency) for a in part.amounts],
                total=_m(part.total, currency),
            )

        return cls(
            start_date=report.start,
            end_date=report.end,
            period=report.kind.value,
            currency_code=currency,
            periods=[
                PeriodColumn(key=p.key, start_date=p.start, end_date=p.end) for p in report.periods
            ],
            revenue=section(report.revenue),
            cost_of_goods_sold=section(report.cost_of_goods_sold),
            gross_profit=total(report.gross_profit),
            expenses=section(report.expenses),
            net_income=total(report.net_income),
        )


class BalanceSheetAccount(BaseModel):
    code: str | None
    name: str
    amount: str


class BalanceSheetSection(BaseModel):
    accounts: list[BalanceSheetAccount]
    total: str


class BalanceSheetReport(BaseModel):
    as_of_date: date
    currency_code: str
    assets: BalanceSheetSection
    liabilities: BalanceSheetSection
    equity: BalanceSheetSection
    total_assets: str
    total_liabilities: str
    total_equity: str
    total_liabilities_and_equity: str
    balanced: bool

    @classmethod
    def of(cls, report: domain.BalanceSheet, currency: str) -> BalanceSheetReport:
        def section(part: domain.BalanceSection) -> BalanceSheetSection:
            return BalanceSheetSection(
                accounts=[
                    BalanceSheetAccount(code=x.code, name=x.name, amount=_m(x.amount, currency))
                    for x in part.lines
                ],
                total=_m(part.total, currency),
            )

        return cls(
            as_of_date=report.as_of,
            currency_code=currency,
            assets=section(report.assets),
            liabilities=section(report.liabilities),
            equity=section(report.equity),
            total_assets=_m(report.assets.total, currency),
            total_liabilities=_m(report.liabilities.total, currency),
            total_equity=_m(report.equity.total, currency),
            total_liabilities_and_equity=_m(
                report.liabilities.total + report.equity.total, currency
            ),
            balanced=report.balanced,
        )


class CashFlowActivity(BaseModel):
    category: str
    label: str
    inflow: str
    outflow: str
    net: str


class CashFlowReport(BaseModel):
    start_date: date
    end_date: date
    currency_code: str
    opening_cash: str
    activities: list[CashFlowActivity]
    net_change: str
    closing_cash: str

    @classmethod
    def of(cls, report: domain.CashFlow, currency: str) -> CashFlowReport:
        return cls(
            start_date=report.start,
            end_date=report.end,
            currency_code=currency,
            opening_cash=_m(report.opening_cash, currency),
            activities=[
                CashFlowActivity(
                    category=line.category,
                    label=line.label,
                    inflow=_m(line.inflow, currency),
                    outflow=_m(line.outflow, currency),
                    net=_m(line.net, currency),
                )
                for line in report.lines
            ],
            net_change=_m(report.net_change, currency),
            closing_cash=_m(report.closing_cash, currency),
        )


class AgingBuckets(BaseModel):
    current: str
    days_30: str
    days_60: str
    days_90: str
    days_90_plus: str
    total: str

    @classmethod
    def of(cls, buckets: dict[str, Decimal], total: Decimal, currency: str) -> AgingBuckets:
        return cls(
            **{name: _m(buckets[name], currency) for name in aging.BUCKETS},
            total=_m(total, currency),
        )


class AgingDocument(BaseModel):
    document_type: str | None
    document_id: uuid.UUID | None
    document_number: str | None
    due_date: date | None
    days_past_due: int
    bucket: str
    open_amount: str


class AgingDetail(AgingBuckets):
    documents: list[AgingDocument] | None = Field(
        None, description="Each open document, with `?detail=items`; null otherwise"
    )


class ReceivablesDetail(AgingDetail):
    customer_id: uuid.UUID | None
    customer_name: str | None


class PayablesDetail(AgingDetail):
    supplier_id: uuid.UUID | None
    supplier_name: str | None


class AgingReport(BaseModel):
    as_of_date: date
    currency_code: str
    summary: AgingBuckets
    details: list[ReceivablesDetail] | list[PayablesDetail]

    @classmethod
    def of(cls, report: aging.Aging, kind: str, currency: str) -> AgingReport:
        party = "customer" if kind == "receivable" else "supplier"
        detail = ReceivablesDetail if kind == "receivable" else PayablesDetail
        details = [
            detail.model_validate(
                {
                    f"{party}_id": p.party_id,
                    f"{party}_name": p.party_name,
                    **AgingBuckets.of(p.buckets, p.total, currency).model_dump(),
                    "documents": [_document(d, currency) for d in p.documents]
                    if report.with_documents
                    else None,
                }
            )
            for p in report.parties
        ]
        return cls(
            as_of_date=report.as_of,
            currency_code=currency,
            summary=AgingBuckets.of(report.summary, report.total, currency),
            details=details,
        )


def _document(aged: aging.AgedItem, currency: str) -> AgingDocument:
    item = aged.item
    return AgingDocument(
        document_type=item.document_type,
        document_id=item.document_id,
        document_number=item.document_number,
        due_date=item.due_date,
        days_past_due=aged.days_past_due,
        bucket=aged.bucket,
        open_amount=_m(item.amount, currency),
    )
