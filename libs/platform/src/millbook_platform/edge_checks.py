"""What every service route checks before its own dependencies run.

The app factory includes every service router with `dependencies=EDGE_CHECKS`. They
declare no parameter of their own, so the OpenAPI document is unchanged.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from millbook_platform.nul_guard import refuse_nul_characters
from millbook_platform.query_guard import refuse_unknown_query

EDGE_CHECKS: list[Any] = [Depends(refuse_nul_characters), Depends(refuse_unknown_query)]

__all__ = ["EDGE_CHECKS"]
