"""Roles: named bundles of scopes."""
