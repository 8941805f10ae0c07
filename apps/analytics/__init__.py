"""Traffic: Traffic sources, campaigns, imports, metrics, conversions, payouts."""
