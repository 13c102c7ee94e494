"""millbook_inbox."""
