"""Bounds of input every app applies: business dates, text sizes, uploaded files."""
