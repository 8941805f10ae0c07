"""Reads and reports: querysets scoped with apps.core.tenancy.scope, with the joins their callers need."""
