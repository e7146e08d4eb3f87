"""Marts → documents for the district's leaders (the monthly bulletin)."""
