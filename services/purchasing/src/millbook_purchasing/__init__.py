"""millbook_purchasing."""
