"""A foreign-currency goods receipt is booked when the goods arrive, at the tenant's rate,
and bills clear GRNI at what the receipts booked, the difference being FX gain or loss."""

from datetime import date
from decimal import Decimal as D

from millbook_billing.purchase_orders import repository as purchase_orders
from millbook_platform.db import unit_of_work

from .purchasing_events import (
    balances,
    bill_body,
    deliver,
    delivery,
    po_bill_line,
    po_line,
    purchase_order,
    supplier_created,
)

INVENTORY, AP, GRNI, PPV, FX = "1200", "2000", "2300", "5100", "5200"
RATES = "/v1/billing/exchange-rates"


async def euro_order(app, caller, quantity="100", price="5.50"):
    supplier = supplier_created("Euro Parts", currency="EUR")
    await deliver(app, caller.tenant_id, supplier)
    po = purchase_order(supplier, [po_line(1, quantity, price, "0")], currency="EUR")
    await deliver(app, caller.tenant_id, po)
    return supplier, po


async def set_rate(caller, day, rate):
    response = await caller.put(f"{RATES}/EUR/{day}", {"rate": rate})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def booked_rate(sessions, tenant_id, delivery_id):
    async with unit_of_work(sessions, tenant_id) as session:
        found = await purchase_orders.get_delivery(session, tenant_id, delivery_id)
    assert found is not None
    return found.booked_rate


async def sheet(caller, as_of="2026-03-31"):
    response = await caller.get("/v1/reports/balance-sheet", params={"as_of_date": as_of})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    amounts = {
        row["code"]: D(row["amount"])
        for part in ("assets", "liabilities")
        for row in data[part]["accounts"]
    }
    return data, amounts


async def approve(caller, supplier, po, quantity, rate, *, number, price="5.50"):
    """Enter and approve a bill of `quantity` units of PO line 1 at `rate`."""
    body = bill_body(
        supplier, po, [po_bill_line(1, quantity, price, "0")], number=number, exchange_rate=rate
    )
    bill = await caller.created("/v1/bills", body)
    approved = await caller.post(f"/v1/bills/{bill['id']}/approve", {"override_reason": "test"})
    assert approved.status_code == 200, approved.text
    return approved.json()["data"]


async def test_a_receipt_posts_at_the_rate_effective_on_its_delivery_date(app, caller, sessions):
    await set_rate(caller, "2026-03-01", "1.10")
    await set_rate(caller, "2026-03-11", "1.50")  # after the delivery: not its rate
    _supplier, po = await euro_order(app, caller)
    received = delivery(po, [(1, "100", "100")], day=date(2026, 3, 10))
    await deliver(app, caller.tenant_id, received)

    ledger = await balances(caller)
    assert (ledger[INVENTORY], ledger[GRNI]) == (D("605.00"), D("605.00"))  # 550 EUR x 1.10
    assert await booked_rate(sessions, caller.tenant_id, received.delivery_id) == D("1.1")
    data, amounts = await sheet(caller)
    assert (amounts[INVENTORY], amounts[GRNI], data["balanced"]) == (
        D("605.00"),
        D("605.00"),
        True,
    )


async def test_a_receipt_without_a_rate_waits_and_a_rate_set_later_posts_it(app, caller, sessions):
    _supplier, po = await euro_order(app, caller)
    received = delivery(po, [(1, "100", "100")], day=date(2026, 3, 10))
    await deliver(app, caller.tenant_id, received)
    assert (await balances(caller)).get(GRNI, D(0)) == D(0)
    assert await booked_rate(sessions, caller.tenant_id, received.delivery_id) is None

    too_late = await set_rate(caller, "2026-03-11", "1.30")  # does not cover the 10th
    assert too_late["receipts_posted"] == 0
    assert (await balances(caller)).get(GRNI, D(0)) == D(0)

    covering = await set_rate(caller, "2026-03-01", "1.0825")
    assert covering["receipts_posted"] == 1
    ledger = await balances(caller)
    assert (ledger[INVENTORY], ledger[GRNI]) == (D("595.38"), D("595.38"))  # 595.375 up
    assert await booked_rate(sessions, caller.tenant_id, received.delivery_id) == D("1.0825")
    data, amounts = await sheet(caller)
    assert (amounts[INVENTORY], amounts[GRNI], data["balanced"]) == (
        D("595.38"),
        D("595.38"),
        True,
    )
    # Setting the rate again posts nothing twice.
    assert (await set_rate(caller, "2026-03-01", "1.20"))["receipts_posted"] == 0
    assert (await balances(caller))[GRNI] == D("595.38")


async def test_a_bill_at_another_rate_clears_grni_to_zero_and_books_the_fx_difference(app, caller):
    await set_rate(caller, "2026-03-01", "1.10")
    supplier, po = await euro_order(app, caller)
    await deliver(app, caller.tenant_id, delivery(po, [(1, "100", "100")], day=date(2026, 3, 10)))
    bill = await approve(caller, supplier, po, "100", "1.20", number="EU-1")

    ledger = await balances(caller)
    assert ledger[GRNI] == D(0)
    assert ledger[INVENTORY] == D("605.00")  # as booked at the receipt
    assert ledger[AP] == D("660.00") == D(bill["total_amount"]) * D("1.20")
    assert ledger[FX] == D("55.00")  # a loss: the euro rose from 1.10 to 1.20
    assert ledger.get(PPV, D(0)) == D(0)

    entries = await caller.get("/v1/ledger/entries", params={"source_type": "bill_posted"})
    (entry,) = entries.json()["data"]
    fx_lines = [line for line in entry["lines"] if line["account_code"] == FX]
    assert [(line["debit"], line["credit"]) for line in fx_lines] == [("55.00", "0.00")]


async def test_partial_bills_and_receipts_at_several_rates_leave_grni_exactly_zero(app, caller):
    await set_rate(caller, "2026-03-01", "1.0825")
    await set_rate(caller, "2026-03-12", "1.1137")
    supplier, po = await euro_order(app, caller, quantity="7", price="3.33")
    for day, quantity in ((date(2026, 3, 10), "3"), (date(2026, 3, 13), "4")):
        await deliver(app, caller.tenant_id, delivery(po, [(1, quantity, quantity)], day=day))
    # 3 x 3.33 = 9.99 at 1.0825 (10.81) and 13.32 at 1.1137 (14.83): GRNI 25.64.
    assert (await balances(caller))[GRNI] == D("25.64")

    for number, quantity, rate in (("EU-1", "2", "1.0933"), ("EU-2", "2", "0.9871")):
        await approve(caller, supplier, po, quantity, rate, number=number, price="3.33")
        assert (await balances(caller))[GRNI] > 0
    await approve(caller, supplier, po, "3", "1.2041", number="EU-3", price="3.33")

    ledger = await balances(caller)
    assert ledger[GRNI] == D(0)
    assert ledger[INVENTORY] == D("25.64")
    _, amounts = await sheet(caller)
    assert amounts.get(GRNI, D(0)) == D(0)


async def test_a_voided_bill_gives_back_what_it_cleared(app, caller):
    await set_rate(caller, "2026-03-01", "1.10")
    supplier, po = await euro_order(app, caller)
    await deliver(app, caller.tenant_id, delivery(po, [(1, "100", "100")], day=date(2026, 3, 10)))
    first = await approve(caller, supplier, po, "100", "1.20", number="EU-1")
    voided = await caller.post(f"/v1/bills/{first['id']}/void", {"reason": "wrong rate"})
    assert voided.status_code == 200, voided.text
    assert (await balances(caller))[GRNI] == D("605.00")

    await approve(caller, supplier, po, "100", "1.05", number="EU-2")
    ledger = await balances(caller)
    assert ledger[GRNI] == D(0)
    assert ledger[FX] == D("-27.50")  # a gain: 550 EUR booked at 1.10, billed at 1.05


async def test_a_receipt_with_no_rate_still_posts_at_the_first_bills_rate(app, caller, sessions):
    supplier, po = await euro_order(app, caller)
    received = delivery(po, [(1, "100", "100")], day=date(2026, 3, 10))
    await deliver(app, caller.tenant_id, received)
    await approve(caller, supplier, po, "100", "1.20", number="EU-1")

    ledger = await balances(caller)
    assert (ledger[INVENTORY], ledger[GRNI], ledger.get(FX, D(0))) == (D("660.00"), D(0), D(0))
    assert await booked_rate(sessions, caller.tenant_id, received.delivery_id) == D("1.2")
    for source_type, grni_side in (("goods_received", "credit"), ("bill_posted", "debit")):
        entries = await caller.get("/v1/ledger/entries", params={"source_type": source_type})
        (entry,) = entries.json()["data"]
        sides = {(line["account_code"], line["debit"], line["credit"]) for line in entry["lines"]}
        assert (
            GRNI,
            *(("660.00", "0.00") if grni_side == "debit" else ("0.00", "660.00")),
        ) in sides
        assert not any(code == FX for code, _, _ in sides)
    # A rate set afterwards finds nothing left to post.
    assert (await set_rate(caller, "2026-03-01", "1.10"))["receipts_posted"] == 0
