"""millbook_billing."""
