"""The composition root: billing's HTTP app, its routers, consumers and periodic jobs."""

from __future__ import annotations

from fastapi import FastAPI

from millbook_billing.bills.router import router as bills_router
from millbook_billing.config import Settings
from millbook_billing.credit_notes.router import router as credit_notes_router
from millbook_billing.customers.consumer import customers_consumer
from millbook_billing.documents.processing import processing_job
from millbook_billing.documents.router import router as documents_router
from millbook_billing.expenses.router import router as expenses_router
from millbook_billing.invoices.from_order import orders_consumer
from millbook_billing.invoices.overdue import overdue_job
from millbook_billing.invoices.router import router as invoices_router
from millbook_billing.ledger.router import router as ledger_router
from millbook_billing.matching.router import router as matching_router
from millbook_billing.payments.router import router as payments_router
from millbook_billing.purchase_orders.consumer import purchasing_consumer
from millbook_billing.recurring.generator import recurring_job
from millbook_billing.recurring.router import router as recurring_router
from millbook_billing.reports.router import router as reports_router
from millbook_billing.settings.exchange_rates.router import router as exchange_rates_router
from millbook_billing.settings.router import router as billing_settings_router
from millbook_billing.tenants.consumer import organizations_consumer
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
            routers=[
                ledger_router,
                reports_router,
                expenses_router,
                documents_router,
                invoices_router,
                payments_router,
                billing_settings_router,
                exchange_rates_router,
                credit_notes_router,
                recurring_router,
                bills_router,
                matching_router,
            ],
            consumers=[
                organizations_consumer(settings),
                customers_consumer(settings),
                orders_consumer(settings),
                purchasing_consumer(settings),
            ],
            jobs=[processing_job(settings.source), overdue_job(), recurring_job()],
            prints_pdfs=True,
            tags=[
                {"name": "ledger", "description": "The double-entry ledger: accounts, entries."},
                {"name": "reports", "description": "Financial reports, also as CSV."},
                {"name": "bills", "description": "Supplier bills: enter, approve, pay."},
                {"name": "matching", "description": "Three-way matching of bills to POs."},
                {"name": "expenses", "description": "Expenses, their receipts, approval."},
                {"name": "documents", "description": "Supplier invoices and receipts read by OCR."},
                {"name": "invoices", "description": "Invoices: drafts, issue, void, PDF."},
                {"name": "payments", "description": "Receipts, supplier payments, refunds."},
                {"name": "credit notes", "description": "Credits against issued invoices."},
                {"name": "recurring invoices", "description": "Invoices made every period."},
                {"name": "billing settings", "description": "Invoice-from-order mode, seller."},
            ],
        ),
    )
