"""Sales' own FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from millbook_sales.config import Settings


def _settings(request: Request) -> Settings:
    settings = request.app.state.runtime.settings
    assert isinstance(settings, Settings), "the sales app is built with sales Settings"
    return settings


SalesSettings = Annotated[Settings, Depends(_settings)]
