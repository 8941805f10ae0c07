"""Money and exchange rates: exact amounts, the currencies Kontora ships with, FX rates."""
