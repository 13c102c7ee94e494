"""A steady write load through the gateway, and the ledger of what it was told succeeded.

Writers take orders from quotation to completion and create users; a payer pays each
completed order's invoice once billing has issued it. Every write carries an
Idempotency-Key and is retried with the same key through outages (5xx, 429, a refused
connection), as the API's retry contract says; only a 2xx counts as acknowledged.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from ..e2e.conftest import Admin
from ..e2e.test_walking_skeleton import new_user

UNIT_PRICE = Decimal("90.00")
# Long enough to outlast any single fault of the plan (the broker is stopped for 30 s).
RETRY_FOR_S = 300.0
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


class Refused(AssertionError):
    """A write got an answer no retry can change (a 4xx other than a conflict in flight)."""


@dataclass
class Acknowledged:
    """Every write the API answered 2xx; the suite checks each is where it should be."""

    users: list[str] = field(default_factory=list)
    orders: dict[str, str] = field(default_factory=dict)  # completed order -> its customer
    payments: dict[str, str] = field(default_factory=dict)  # invoice -> payment
    answers: Counter[str] = field(default_factory=Counter)  # every answer, retries included


class Load:
    def __init__(self, base_url: str, admin: Admin, *, writers: int = 4) -> None:
        self.admin = admin
        self.done = Acknowledged()
        self._writers = writers
        self._token = admin.token
        self._client = httpx.AsyncClient(base_url=base_url, timeout=30)
        self._to_pay: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._writer(n)) for n in range(self._writers)]
        self._tasks.append(asyncio.create_task(self._payer()))

    async def stop(self, drain_within_s: float = 600.0) -> None:
        """Writers finish the order in hand; the payer pays every completed order."""
        self._stopping.set()
        try:
            async with asyncio.timeout(drain_within_s):
                await asyncio.gather(*self._tasks[:-1])
                drained = asyncio.create_task(self._to_pay.join())
                await asyncio.wait({drained, self._tasks[-1]}, return_when=asyncio.FIRST_COMPLETED)
                drained.cancel()
                if (error := self.failed()) is not None:
                    raise error
        finally:
            await self._cancel_tasks()

    def failed(self) -> BaseException | None:
        """A writer or the payer that stopped on an error: the test fails at once with it."""
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                return task.exception()
        return None

    async def abort(self) -> None:
        """Stop every task at once and close the client (the test is over)."""
        await self._cancel_tasks()
        await self._client.aclose()

    async def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _writer(self, n: int) -> None:
        while not self._stopping.is_set():
            customer = await self.call(
                "POST", "/v1/customers", {"name": f"Load {n} {uuid.uuid4().hex[:6]}"}
            )
            line = {"product_name": "Bracket", "quantity": 1, "unit_price": str(UNIT_PRICE)}
            quotation = await self.call(
                "POST", "/v1/quotations", {"customer_id": customer["id"], "line_items": [line]}
            )
            await self.call("POST", f"/v1/quotations/{quotation['id']}/send")
            await self.call("POST", f"/v1/quotations/{quotation['id']}/accept")
            order = await self.call("POST", "/v1/orders", {"quotation_id": quotation["id"]})
            for step in ("start-production", "ship", "complete"):
                order = await self.call("POST", f"/v1/orders/{order['id']}/{step}")
            self.done.orders[order["id"]] = customer["id"]
            self._to_pay.put_nowait((customer["id"], order["id"]))
            user = await self.call("POST", "/v1/users", new_user())
            self.done.users.append(user["id"])

    async def _payer(self) -> None:
        while True:
            customer_id, order_id = await self._to_pay.get()
            invoice = await self._issued_invoice(customer_id, order_id)
            payment = await self.call(
                "POST",
                "/v1/payments",
                {
                    "payment_type": "receipt",
                    "customer_id": customer_id,
                    "amount": invoice["total_amount"],
                    "payment_method": "bank_transfer",
                    "payment_reference": invoice["invoice_number"],
                    "allocations": [
                        {"invoice_id": invoice["id"], "amount": invoice["total_amount"]}
                    ],
                },
            )
            self.done.payments[invoice["id"]] = payment["id"]
            self._to_pay.task_done()

    async def _issued_invoice(self, customer_id: str, order_id: str) -> dict[str, Any]:
        """Billing invoices the order from sales' event, however late that event comes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_FOR_S
        while True:
            found = await self.call("GET", "/v1/invoices", params={"customer_id": customer_id})
            mine = [i for i in found if i.get("order_id") == order_id and i.get("invoice_number")]
            if mine:
                return mine[0]
            if loop.time() > deadline:
                raise AssertionError(f"order {order_id} was not invoiced within {RETRY_FOR_S}s")
            await asyncio.sleep(0.5)

    async def call(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        """The answer's data once the API acknowledges the request; retried with one key."""
        key = uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_FOR_S
        while True:
            headers = {"Authorization": f"Bearer {self._token}"}
            if method == "POST":
                headers["Idempotency-Key"] = key
            wait = 0.2
            try:
                response = await self._client.request(
                    method, path, json=body, params=params, headers=headers
                )
            except httpx.TransportError as exc:  # the gateway itself is down or restarting
                self.done.answers[type(exc).__name__] += 1
            else:
                self.done.answers[str(response.status_code)] += 1
                if response.status_code in (200, 201):
                    return response.json()["data"]
                if response.status_code == 401:  # a long run outlives a 15-minute token
                    self._token = await self._login()
                elif not self._worth_retrying(response):
                    raise Refused(f"{method} {path}: {response.status_code} {response.text}")
                wait = min(float(response.headers.get("retry-after", wait)), 2.0)
            if loop.time() > deadline:
                raise AssertionError(f"{method} {path} not acknowledged within {RETRY_FOR_S}s")
            await asyncio.sleep(wait)

    @staticmethod
    def _worth_retrying(response: httpx.Response) -> bool:
        if response.status_code in RETRYABLE:
            return True
        # The first attempt's outcome is not known yet (it is in flight, or its process died).
        return response.status_code == 409 and "INVALID_TRANSITION" not in response.text

    async def _login(self) -> str:
        """A new token, or the old one while identity cannot issue one (the call retries)."""
        try:
            response = await self._client.post(
                "/v1/auth/login", json={"email": self.admin.email, "password": self.admin.password}
            )
        except httpx.TransportError:
            return self._token
        if response.status_code != 200:
            return self._token
        return str(response.json()["data"]["access_token"])
