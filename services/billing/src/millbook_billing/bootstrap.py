"""The composition root: billing's HTTP app, its routers, consumers and periodic jobs."""

from __future__ import annotations

from fastapi import FastAPI

from millbook_billing.config import Settings
from millbook_platform.app import ServiceSpec, create_app

DESCRIPTION = (
    "Invoices, credit notes, payments, expenses, supplier bills, documents, three-way "
    "matching, the double-entry ledger and financial reports."
)


def build_app(settings: Settings) -> FastAPI:
    return create_app(
        settings,
        ServiceSpec(
            title="Millbook billing",
            description=DESCRIPTION,
            routers=[],
            consumers=[],
            jobs=[],
            tags=[],
        ),
    )
