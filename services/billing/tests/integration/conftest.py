"""Billing in-process against a fresh migrated database per test module.

The fixtures (`app`, `http`, `sessions`, `caller`, `other_tenant`, ...) come from
`millbook_testing.service`; this names the service they run.
"""

from __future__ import annotations

import pytest

from millbook_billing.bootstrap import build_app
from millbook_billing.config import Settings
from millbook_testing.service import KEY, ServiceUnderTest, events_of

__all__ = ["KEY", "events_of"]  # the tests import them from here


@pytest.fixture(scope="module")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest("billing", Settings, build_app)
