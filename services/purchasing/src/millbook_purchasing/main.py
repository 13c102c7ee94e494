"""The purchasing HTTP app (features arrive with the purchasing issue)."""

from millbook_platform.app import ServiceSpec, create_app
from millbook_purchasing.config import Settings

app = create_app(
    Settings(),  # database_url comes from the environment
    ServiceSpec(
        title="Millbook purchasing",
        description="Materials, inventory, suppliers, purchase orders, deliveries and forecasts.",
    ),
)
