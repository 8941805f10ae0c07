"""Admin registrations: subclass apps.core.admin_kit.base.KontoraModelAdmin so scoping and roles apply."""
