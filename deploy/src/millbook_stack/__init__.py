"""millbook_stack."""
