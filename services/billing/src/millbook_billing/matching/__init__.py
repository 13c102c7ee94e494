"""Three-way matching: purchase order x received goods x supplier bill."""
