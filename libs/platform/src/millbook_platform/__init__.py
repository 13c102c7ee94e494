"""millbook_platform."""
