"""credit_notes."""
