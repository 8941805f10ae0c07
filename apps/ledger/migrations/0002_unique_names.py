"""Names a person tells apart only by letter case are one name: per organization, a counterparty's name, a
project's name and code, and a category's name within its kind are unique case-insensitively (unique indexes
on lower(...)). The demo loader and the forms rely on it: two "ООО «Ромашка»" made ``seed_demo`` fail.

Rows that already share a name are renamed first, the oldest keeping it: "Acme", "Acme (2)", "Acme (3)"…
(a project code: "SHOP", "SHOP-2"…), so the migration applies to any database.
"""

from django.db import migrations, models
from django.db.models import Q
from django.db.models.functions import Lower

# model, field, the other fields of the key, how a duplicate is numbered
DUPLICATES = [
    ("Counterparty", "name", (), "{value} ({n})"),
    ("Project", "name", (), "{value} ({n})"),
    ("Project", "code", (), "{value}-{n}"),
    ("Category", "name", ("kind",), "{value} ({n})"),
]


def rename_duplicates(apps, schema_editor):
    for model_name, field, others, pattern in DUPLICATES:
        model = apps.get_model("ledger", model_name)
        max_length = model._meta.get_field(field).max_length
        rows = model.objects.exclude(**{field: ""}).order_by("id").values_list("id", "organization_id", *others, field)
        # The oldest row of each name keeps it; every kept name is known before any duplicate is renamed, so
        # "Acme" and "ACME" next to an existing "Acme (2)" become "Acme" and "ACME (3)".
        taken: set[tuple] = set()
        duplicates: list[tuple] = []
        for pk, *key, value in rows:
            if (*key, value.lower()) in taken:
                duplicates.append((pk, key, value))
            else:
                taken.add((*key, value.lower()))
        for pk, key, value in duplicates:
            n = 2
            while True:
                suffix = pattern.format(value="", n=n)
                candidate = pattern.format(value=value[: max_length - len(suffix)], n=n)
                if (*key, candidate.lower()) not in taken:
                    break
                n += 1
            taken.add((*key, candidate.lower()))
            model.objects.filter(pk=pk).update(**{field: candidate})


class Migration(migrations.Migration):
    # Numbered 0014 before the ledger's migrations were squashed into 0001_initial: a database that applied
    # it under that name counts this one as applied.
    replaces = [("ledger", "0014_unique_names")]
    dependencies = [
        ("ledger", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="category", name="ledger_category_name_unique"),
        migrations.RemoveConstraint(model_name="project", name="ledger_project_name_unique"),
        migrations.RunPython(rename_duplicates, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="category",
            constraint=models.UniqueConstraint(
                Lower("name"),
                models.F("organization"),
                models.F("kind"),
                name="ledger_category_name_unique",
                violation_error_code="name_taken",
                violation_error_message=(
                    "This organization already has a category of this kind and name (letter case aside)."
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="counterparty",
            constraint=models.UniqueConstraint(
                Lower("name"),
                models.F("organization"),
                name="ledger_counterparty_name_unique",
                violation_error_code="name_taken",
                violation_error_message="This organization already has a counterparty of this name (letter case aside).",
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.UniqueConstraint(
                Lower("name"),
                models.F("organization"),
                name="ledger_project_name_unique",
                violation_error_code="name_taken",
                violation_error_message="This organization already has a project of this name (letter case aside).",
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.UniqueConstraint(
                Lower("code"),
                models.F("organization"),
                condition=~Q(code=""),
                name="ledger_project_code_unique",
                violation_error_code="code_taken",
                violation_error_message="This organization already has a project with this code (letter case aside).",
            ),
        ),
    ]
