"""millbook_contracts."""
