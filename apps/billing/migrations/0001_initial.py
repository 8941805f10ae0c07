"""The billing app's first migration: a fixed starting point that each billing slice's migrations follow."""

from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = [("core", "0007_audit_api_key"), ("ledger", "0003_no_postings_on_parent_accounts")]
    operations: list = []
