"""The identity process for uvicorn: `millbook_identity.main:app`."""

from millbook_identity.bootstrap import build_app
from millbook_identity.config import Settings

app = build_app(Settings())  # database_url comes from the environment
