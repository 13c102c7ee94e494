"""The analytics process for uvicorn: `millbook_analytics.main:app`."""

from millbook_analytics.bootstrap import build_app
from millbook_analytics.config import Settings

app = build_app(Settings())  # database_url comes from the environment
