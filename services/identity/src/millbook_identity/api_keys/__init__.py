"""API keys: machine credentials with scopes, a mode (live or test), expiry and an IP allow-list."""
