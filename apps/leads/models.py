"""Data and invariants of this app. Tenant rows subclass apps.core.accounts.tenancy.TenantModel."""
