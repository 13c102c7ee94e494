"""The billing process for uvicorn: `millbook_billing.main:app`."""

from millbook_billing.bootstrap import build_app
from millbook_billing.config import Settings

app = build_app(Settings())  # database_url comes from the environment
