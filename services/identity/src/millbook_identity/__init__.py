"""millbook_identity: organizations, users, roles, sessions and the keys that sign access tokens."""
