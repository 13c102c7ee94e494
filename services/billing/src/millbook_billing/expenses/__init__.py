"""Expenses: recorded, approved into the ledger or rejected, billed on to customers."""
