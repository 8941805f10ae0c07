"""Data and invariants of this app. Tenant rows subclass apps.core.tenancy.TenantModel."""
