"""``flush`` as the schema's owner: emptying every table (TRUNCATE) is the owner's to do, never the
application role's, which may only delete rows past their tables' rules (see
apps.core.operations.database_roles). Django's test cases call it between transactional tests."""

from django.core.management.commands.flush import Command as DjangoFlush

from apps.core.operations.database_roles import as_owner


class Command(DjangoFlush):
    help = DjangoFlush.help + " Runs as the schema's owner."

    def handle(self, **options):
        with as_owner(options["database"]):
            super().handle(**options)
