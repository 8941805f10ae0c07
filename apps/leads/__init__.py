"""Leads: Leads, deals, channels, conversations and messages, booking, the widget."""
