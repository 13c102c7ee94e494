"""millbook_identity."""
