"""The analytics HTTP app: projections built only from the event stream."""

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


app = build_app(Settings())  # database_url comes from the environment
