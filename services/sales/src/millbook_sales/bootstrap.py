"""The composition root: sales' HTTP app, its routers, consumers and periodic jobs."""

from __future__ import annotations

from fastapi import FastAPI

from millbook_platform.app import ServiceSpec, create_app
from millbook_sales.config import Settings
from millbook_sales.consumers import organizations_consumer, users_consumer
from millbook_sales.contacts.router import router as contacts_router
from millbook_sales.customers.router import router as customers_router
from millbook_sales.leads.router import router as leads_router
from millbook_sales.opportunities.router import router as opportunities_router
from millbook_sales.orders.router import router as orders_router
from millbook_sales.pricing.router import router as pricing_router
from millbook_sales.quotations.expiry import expiry_job
from millbook_sales.quotations.router import router as quotations_router
from millbook_sales.tasks.reminders import reminder_job
from millbook_sales.tasks.router import router as tasks_router
from millbook_sales.tenants.router import router as settings_router

DESCRIPTION = "Customers and contacts, leads, tasks, quotations, opportunities, orders."


def build_app(settings: Settings) -> FastAPI:
    return create_app(
        settings,
        ServiceSpec(
            title="Millbook sales",
            description=DESCRIPTION,
            routers=[
                customers_router,
                contacts_router,
                leads_router,
                opportunities_router,
                quotations_router,
                pricing_router,
                orders_router,
                tasks_router,
                settings_router,
            ],
            consumers=[users_consumer(settings), organizations_consumer(settings)],
            jobs=[reminder_job(settings.source), expiry_job(settings.source)],
            prints_pdfs=True,
            tags=[
                {"name": "customers", "description": "The businesses you sell to."},
                {"name": "contacts", "description": "The people at your customers."},
                {"name": "leads", "description": "Prospects, assigned round-robin, converted."},
                {"name": "opportunities", "description": "Deals in the pipeline."},
                {"name": "tasks", "description": "Follow-ups with reminders."},
                {"name": "quotations", "description": "Priced offers: draft, send, accept."},
                {"name": "pricing", "description": "Rate card and part price calculations."},
                {"name": "orders", "description": "Accepted quotations through the shop floor."},
                {"name": "settings", "description": "The organization's sales settings."},
            ],
        ),
    )
