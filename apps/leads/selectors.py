"""Reads and reports: querysets scoped with apps.core.accounts.tenancy.scope, with the joins their callers need."""
