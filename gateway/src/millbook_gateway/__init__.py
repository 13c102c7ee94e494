"""millbook_gateway."""
