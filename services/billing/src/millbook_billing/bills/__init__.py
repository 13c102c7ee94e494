"""Supplier bills: entry, approval to accounts payable, payment allocation."""
