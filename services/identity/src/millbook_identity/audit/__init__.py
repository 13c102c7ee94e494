"""The audit trail: identity's own authentication events and every domain event of every service."""
