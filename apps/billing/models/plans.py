"""Filled by the billing slice that owns it."""

__all__: list[str] = []
