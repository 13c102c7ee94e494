"""The tenant's exchange rates to its base currency, and the receipts they let post."""
