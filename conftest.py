"""Fixtures every test tier may use; see libs/testing."""

pytest_plugins = ["millbook_testing.infra", "millbook_testing.service", "millbook_testing.watchdog"]
