"""Roles: the built-in scope bundles and each organization's own."""
