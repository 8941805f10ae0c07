"""``migrate`` as the schema's owner: Django's command, run connected as ``DATABASE_OWNER_URL``'s role (the
embedded server's owner role), then granting the application's role its rows on every table, old and new
(see apps.core.operations.database_roles)."""

from django.core.management.commands.migrate import Command as DjangoMigrate

from apps.core.operations.database_roles import application_role_grant, as_owner


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs as the schema's owner and grants the application's role its rows."

    def handle(self, *args, **options):
        database = options["database"]
        with as_owner(database):
            super().handle(*args, **options)
            application_role_grant(database)
