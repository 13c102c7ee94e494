"""Password reset: a single-use token by mail (through the inbox service), then a new password."""
