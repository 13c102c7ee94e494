"""FastAPI dependencies of the expense and document endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request


def _event_source(request: Request) -> str:
    source: str = request.app.state.runtime.settings.source
    return source


# The CloudEvents `ce_source` of the events a request records (`/millbook/billing`).
EventSource = Annotated[str, Depends(_event_source)]
