"""Financial reports over a small known ledger, through the HTTP API."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from millbook_billing.ledger.postings import (
    DocumentRef,
    Fx,
    JournalDraft,
    Party,
    bill_posted,
    customer_receipt,
    customer_refund,
    expense_approved,
    goods_received,
    invoice_issued,
    supplier_payment,
)
from millbook_billing.ledger.service import post_entry
from millbook_platform.db import unit_of_work
from millbook_testing.callers import Caller, error_of

D = Decimal
USD = Fx.same("USD")


@dataclass
class Books:
    acme: Party
    bolt: Party
    invoice_a: DocumentRef
    invoice_b: DocumentRef
    bill: DocumentRef


async def post_all(
    sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, drafts: list[JournalDraft]
) -> None:
    async with unit_of_work(sessions, tenant) as session:
        for draft in drafts:
            await post_entry(session, tenant, draft)


def doc(kind: str, number: str, due: date | None = None) -> DocumentRef:
    return DocumentRef(kind, uuid.uuid4(), number, due)


async def known_books(sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID) -> Books:
    """Two invoices, a partial and a full receipt with credit, a refund, an expense, a bill."""
    acme = Party("customer", uuid.uuid4(), "Acme")
    bolt = Party("customer", uuid.uuid4(), "Bolt")
    steel = Party("supplier", uuid.uuid4(), "Steel Co")
    a = doc("invoice", "INV-2026-0001", date(2026, 2, 9))
    b = doc("invoice", "INV-2026-0002", date(2026, 2, 19))
    bill = doc("bill", "B-77", date(2026, 4, 5))
    drafts = [
        invoice_issued(invoice=a, customer=acme, entry_date=date(2026, 1, 10),
                       net=D(1000), tax=D(100), total=D(1100), fx=USD),
        invoice_issued(invoice=b, customer=bolt, entry_date=date(2026, 1, 20),
                       net=D(500), tax=D(50), total=D(550), fx=USD),
        customer_receipt(payment=doc("payment", "PAY-1"), customer=acme,
                         entry_date=date(2026, 2, 15), amount=D(600),
                         allocations=[(a, D(600), USD)], fx=USD),
        expense_approved(expense_id=uuid.uuid4(), category="meals", entry_date=date(2026, 2, 20),
                         net=D(40), tax=D(4), fx=USD),
        goods_received(delivery_id=uuid.uuid4(), supplier=steel, entry_date=date(2026, 3, 5),
                       value=D(1000), fx=USD),
        bill_posted(bill=bill, supplier=steel, entry_date=date(2026, 3, 6),
                    received_goods_at_po_price=D(1000), goods_billed_net=D(1000),
                    expense_lines=[], tax=D(100), total=D(1100), fx=USD),
        supplier_payment(payment=doc("payment", "PAY-2"), supplier=steel,
                         entry_date=date(2026, 3, 20), amount=D(500),
                         allocations=[(bill, D(500), USD)], fx=USD),
        customer_receipt(payment=doc("payment", "PAY-3"), customer=bolt,
                         entry_date=date(2026, 3, 25), amount=D(700),
                         allocations=[(b, D(550), USD)], fx=USD),
        customer_refund(payment=doc("payment", "PAY-4"), customer=bolt,
                        entry_date=date(2026, 3, 28), amount=D(50), fx=USD),
    ]  # fmt: skip
    await post_all(sessions, tenant, drafts)
    return Books(acme, bolt, a, b, bill)


async def report(caller: Caller, path: str, **params: Any) -> dict[str, Any]:
    response = await caller.get(f"/v1/reports/{path}", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


@pytest.fixture
async def books(sessions, caller: Caller) -> Books:
    return await known_books(sessions, caller.tenant_id)


async def test_trial_balance_totals_agree_at_any_date(caller: Caller, books: Books) -> None:
    late = await report(caller, "trial-balance", as_of_date="2026-03-31")
    assert late["total_debit"] == late["total_credit"]
    accounts = {a["code"]: (a["debit"], a["credit"]) for a in late["accounts"]}
    assert accounts["1000"] == ("706.00", "0.00")  # 600 - 44 - 500 + 700 - 50
    assert accounts["1100"] == ("500.00", "0.00")
    assert accounts["2000"] == ("0.00", "600.00")
    early = await report(caller, "trial-balance", as_of_date="2026-01-15")
    assert early["total_debit"] == early["total_credit"] == "1100.00"
    assert {a["code"] for a in early["accounts"]} == {"1100", "2100", "4000"}


async def test_balance_sheet_balances_with_the_current_result(caller: Caller, books: Books) -> None:
    sheet = await report(caller, "balance-sheet", as_of_date="2026-03-31")
    assert sheet["balanced"] is True
    assert sheet["total_assets"] == sheet["total_liabilities_and_equity"]
    # cash 706 + AR 500 + inventory 1000 + input tax 104
    assert sheet["total_assets"] == "2310.00"
    # AP 600 + tax payable 150 + customer credits 100 (150 credit less the 50 refund)
    assert sheet["total_liabilities"] == "850.00"
    earnings = sheet["equity"]["accounts"][-1]
    assert earnings["code"] is None
    assert earnings["amount"] == "1460.00"  # sales 1500 - meals 40


async def test_profit_and_loss_by_month(caller: Caller, books: Books) -> None:
    pnl = await report(
        caller, "profit-loss", start_date="2026-01-01", end_date="2026-03-31", period="monthly"
    )
    assert [p["key"] for p in pnl["periods"]] == ["2026-01", "2026-02", "2026-03"]
    assert pnl["revenue"]["amounts"] == ["1500.00", "0.00", "0.00"]
    assert pnl["expenses"]["amounts"] == ["0.00", "40.00", "0.00"]
    assert pnl["gross_profit"]["total"] == "1500.00"
    assert pnl["net_income"]["total"] == "1460.00"
    february = await report(caller, "profit-loss", start_date="2026-02-01", end_date="2026-02-28")
    assert february["revenue"]["total"] == "0.00"
    assert february["net_income"]["total"] == "-40.00"


async def test_profit_and_loss_with_end_before_start_is_a_validation_error(caller: Caller) -> None:
    response = await caller.get(
        "/v1/reports/profit-loss", params={"start_date": "2026-03-01", "end_date": "2026-01-01"}
    )
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "end_date"


async def test_cash_flow_groups_movements_and_carries_opening_cash(
    caller: Caller, books: Books
) -> None:
    quarter = await report(caller, "cash-flow", start_date="2026-01-01", end_date="2026-03-31")
    nets = {a["category"]: a["net"] for a in quarter["activities"]}
    assert nets == {
        "receipts_from_customers": "1300.00",
        "payments_to_suppliers": "-500.00",
        "expenses": "-44.00",
        "refunds": "-50.00",
        "other": "0.00",
    }
    assert (quarter["opening_cash"], quarter["closing_cash"]) == ("0.00", "706.00")
    march = await report(caller, "cash-flow", start_date="2026-03-01", end_date="2026-03-31")
    assert (march["opening_cash"], march["closing_cash"]) == ("556.00", "706.00")


async def test_receivables_aging_moves_with_the_report_date(caller: Caller, books: Books) -> None:
    before_due = await report(caller, "accounts-receivable-aging", as_of_date="2026-02-01")
    assert before_due["summary"]["current"] == before_due["summary"]["total"] == "1650.00"
    after_partial = await report(caller, "accounts-receivable-aging", as_of_date="2026-02-16")
    assert after_partial["summary"]["days_30"] == "500.00"  # 7 days past due
    assert after_partial["summary"]["current"] == "550.00"
    end = await report(caller, "accounts-receivable-aging", as_of_date="2026-03-31", detail="items")
    assert end["summary"]["days_60"] == end["summary"]["total"] == "500.00"  # 50 days
    [acme] = end["details"]
    assert (acme["customer_id"], acme["customer_name"]) == (str(books.acme.party_id), "Acme")
    [document] = acme["documents"]
    assert document["document_number"] == "INV-2026-0001"
    assert (document["days_past_due"], document["bucket"]) == (50, "days_60")
    assert document["open_amount"] == "500.00"
    far = await report(caller, "accounts-receivable-aging", as_of_date="2026-06-30")
    assert far["summary"]["days_90_plus"] == "500.00"


async def test_aging_of_party_totals_only_agrees_with_the_full_report(
    caller: Caller, books: Books
) -> None:
    parties = await report(caller, "accounts-receivable-aging", as_of_date="2026-02-16")
    items = await report(
        caller, "accounts-receivable-aging", as_of_date="2026-02-16", detail="items"
    )
    assert [d.pop("documents") for d in parties["details"]] == [None, None]  # seed 004's shape
    documents = [[x["document_number"] for x in d.pop("documents")] for d in items["details"]]
    assert documents == [["INV-2026-0001"], ["INV-2026-0002"]]
    assert parties == items  # the same party totals, summed by the database or here
    assert [(d["customer_name"], d["days_30"], d["current"]) for d in parties["details"]] == [
        ("Acme", "500.00", "0.00"),
        ("Bolt", "0.00", "550.00"),
    ]
    wrong = await caller.get(
        "/v1/reports/accounts-receivable-aging", params={"detail": "everything"}
    )
    assert wrong.status_code == 422
    assert error_of(wrong)["details"][0]["field"] == "detail"


async def test_aging_csv_of_party_totals(caller: Caller, books: Books) -> None:
    exported = await caller.get(
        "/v1/reports/accounts-payable-aging",
        params={"as_of_date": "2026-05-10", "format": "csv"},  # party totals by default
    )
    assert exported.status_code == 200
    header, steel = rows_of(exported.text)
    assert header == ["party_id", "party_name", "current", "days_30", "days_60", "days_90",
                      "days_90_plus", "total"]  # fmt: skip
    assert uuid.UUID(steel[0])
    assert steel[1:] == ["Steel Co", "0.00", "0.00", "600.00", "0.00", "0.00", "600.00"]


async def test_receivables_aging_for_one_customer(caller: Caller, books: Books) -> None:
    only = await report(
        caller,
        "accounts-receivable-aging",
        as_of_date="2026-02-01",
        customer_id=str(books.bolt.party_id),
    )
    assert only["summary"]["total"] == "550.00"
    assert [d["customer_name"] for d in only["details"]] == ["Bolt"]


async def test_payables_aging_lists_the_unpaid_part_of_the_bill(
    caller: Caller, books: Books
) -> None:
    ap = await report(caller, "accounts-payable-aging", as_of_date="2026-03-31")
    assert ap["summary"]["current"] == ap["summary"]["total"] == "600.00"
    assert ap["details"][0]["supplier_name"] == "Steel Co"
    overdue = await report(caller, "accounts-payable-aging", as_of_date="2026-05-10")
    assert overdue["summary"]["days_60"] == "600.00"  # 35 days past 5 April


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_reports_export_as_csv(caller: Caller, books: Books) -> None:
    response = await caller.get(
        "/v1/reports/trial-balance", params={"as_of_date": "2026-03-31", "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    table = rows_of(response.text)
    assert table[0] == ["code", "name", "account_type", "debit", "credit"]
    assert table[-1][3] == table[-1][4]
    aging_csv = await caller.get(
        "/v1/reports/accounts-receivable-aging",
        params={"as_of_date": "2026-02-01", "format": "csv", "detail": "items"},
    )
    assert aging_csv.status_code == 200
    documents = rows_of(aging_csv.text)
    assert documents[0][:2] == ["party_id", "party_name"]
    assert sorted((row[4], row[-1]) for row in documents[1:]) == [
        ("INV-2026-0001", "1100.00"),
        ("INV-2026-0002", "550.00"),
    ]
    for path, params in (
        ("profit-loss", {"start_date": "2026-01-01", "end_date": "2026-03-31"}),
        ("balance-sheet", {"as_of_date": "2026-03-31"}),
        ("cash-flow", {"start_date": "2026-01-01", "end_date": "2026-03-31"}),
        ("accounts-payable-aging", {"as_of_date": "2026-03-31"}),
    ):
        exported = await caller.get(f"/v1/reports/{path}", params={**params, "format": "csv"})
        assert exported.status_code == 200, path
        assert len(rows_of(exported.text)) > 1, path


async def test_another_tenant_sees_none_of_the_books(
    caller: Caller, other_tenant: Caller, books: Books
) -> None:
    tb = await report(other_tenant, "trial-balance", as_of_date="2026-03-31")
    assert (tb["accounts"], tb["total_debit"]) == ([], "0.00")
    aging = await report(other_tenant, "accounts-receivable-aging", as_of_date="2026-03-31")
    assert aging["details"] == []
    exported = await other_tenant.get(
        "/v1/reports/accounts-receivable-aging",
        params={"as_of_date": "2026-02-01", "format": "csv"},
    )
    assert len(rows_of(exported.text)) == 1  # the header only
    entries = await other_tenant.get(
        "/v1/ledger/entries", params={"document_id": str(books.invoice_a.document_id)}
    )
    assert entries.json()["data"] == []


async def test_reports_need_the_reports_read_scope(caller: Caller) -> None:
    response = await caller.as_scope("invoices:read").get("/v1/reports/trial-balance")
    assert response.status_code == 403
    assert "reports:read" in error_of(response)["message"]
    assert (await caller.as_scope("reports:read").get("/v1/ledger/accounts")).status_code == 200


async def test_entries_list_inline_lines_filtered_by_document(caller: Caller, books: Books) -> None:
    response = await caller.get(
        "/v1/ledger/entries",
        params={"document_id": str(books.invoice_a.document_id), "sort": "entry_date"},
    )
    assert response.status_code == 200, response.text
    entries = response.json()["data"]
    assert [e["source_type"] for e in entries] == ["invoice_issued", "payment_received"]
    assert all(e["total_debit"] == e["total_credit"] for e in entries)
    assert entries[0]["lines"][0]["account_code"] == "1100"
    march = await caller.get(
        "/v1/ledger/entries",
        params={"date_from": "2026-03-01", "date_to": "2026-03-31", "account": "1000"},
    )
    assert {e["source_type"] for e in march.json()["data"]} == {
        "supplier_payment",
        "payment_received",
        "customer_refund",
    }


async def test_entries_page_with_cursors_without_overlap(caller: Caller, books: Books) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 4}
    for _ in range(5):
        body = (await caller.get("/v1/ledger/entries", params=params)).json()
        seen.extend(e["id"] for e in body["data"])
        if not body["meta"].get("next_cursor"):
            break
        params = {"limit": 4, "cursor": body["meta"]["next_cursor"]}
    assert len(seen) == len(set(seen)) == 9


async def test_accounts_show_balances_as_of_a_date(caller: Caller, books: Books) -> None:
    response = await caller.get("/v1/ledger/accounts", params={"as_of_date": "2026-02-28"})
    assert response.status_code == 200
    accounts = {a["code"]: a for a in response.json()["data"]}
    assert len(accounts) == 20
    assert accounts["1000"]["balance"] == "556.00"
    assert accounts["4000"]["balance"] == "1500.00"
    assert accounts["4000"]["normal_side"] == "credit"
    assert accounts["2000"]["balance"] == "0.00"
