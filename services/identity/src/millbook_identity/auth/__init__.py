"""Authentication: passwords, login, sessions, signing keys and access tokens."""
