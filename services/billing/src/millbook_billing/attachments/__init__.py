"""Uploaded files (receipts, supplier invoices) kept in PostgreSQL, sniffed by content."""
