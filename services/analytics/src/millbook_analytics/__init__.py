"""millbook_analytics."""
