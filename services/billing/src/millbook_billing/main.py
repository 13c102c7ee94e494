"""The billing HTTP app (features arrive with the billing issue)."""

from millbook_billing.config import Settings
from millbook_platform.app import ServiceSpec, create_app

app = create_app(
    Settings(),  # database_url comes from the environment
    ServiceSpec(
        title="Millbook billing",
        description="Invoices, payments, expenses, the double-entry ledger and financial reports.",
    ),
)
