"""Suppliers: the read model of purchasing's suppliers that bills need."""
