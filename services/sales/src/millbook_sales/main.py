"""The sales process for uvicorn: `millbook_sales.main:app`."""

from millbook_sales.bootstrap import build_app
from millbook_sales.config import Settings

app = build_app(Settings())  # database_url comes from the environment
