"""Supplier invoices and receipts read by text layer or OCR, off the request path."""
