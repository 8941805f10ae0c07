"""Admin registrations: subclass apps.core.admin_base.KontoraModelAdmin so scoping and roles apply."""
