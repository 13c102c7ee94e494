"""Identity's own FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from millbook_identity.config import Settings


def _settings(request: Request) -> Settings:
    settings = request.app.state.runtime.settings
    assert isinstance(settings, Settings), "the identity app is built with identity Settings"
    return settings


IdentitySettings = Annotated[Settings, Depends(_settings)]
