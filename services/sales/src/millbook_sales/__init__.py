"""millbook_sales."""
