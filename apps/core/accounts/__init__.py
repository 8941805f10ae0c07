"""Accounts and tenancy: users' sign-in, organizations' scoping, roles and API credentials."""
