"""The composition root: analytics' HTTP app, its routers and consumers."""

from fastapi import FastAPI

from millbook_analytics.config import Settings
from millbook_analytics.consumers import projections_consumer
from millbook_analytics.users.router import router as users_router
from millbook_platform.app import ServiceSpec, create_app


def build_app(settings: Settings) -> FastAPI:
    return create_app(
        settings,
        ServiceSpec(
            title="Millbook analytics",
            description="Dashboards, KPIs and trends, projected from the domain event stream.",
            routers=[users_router],
            consumers=[projections_consumer(settings)],
            publishes=False,
        ),
    )
