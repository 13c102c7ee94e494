"""The sales HTTP app: customers, quotations, opportunities and orders (to come)."""

from millbook_platform.app import ServiceSpec, create_app
from millbook_sales.config import Settings

app = create_app(
    Settings(),  # database_url comes from the environment
    ServiceSpec(
        title="Millbook sales",
        description="Customers and contacts, leads, tasks, quotations, opportunities, orders.",
    ),
)
