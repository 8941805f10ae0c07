"""Marketplace: Catalog, stock, cart, checkout, orders, shipping, reviews, sellers, search."""
