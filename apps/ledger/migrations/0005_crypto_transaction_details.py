"""Crypto transfers: the detail of a TRON transfer behind a posting, its database rules, and the beat task
that re-checks the pending ones.

The rules PostgreSQL holds, whatever writes the rows:

- one detail per organization, network and hash (a repeated registration finds the first);
- the wallet and counter accounts belong to the detail's organization and hold the token's currency, the
  fee accounts and the posting belong to its organization (composite foreign keys);
- a detail is confirmed if and only if it has its posting (a CHECK constraint);
- only a pending detail changes; a confirmed one is never deleted (a trigger; SQLSTATE 23514 with the
  constraint name ``ledger_crypto_final``).

The task runs every minute: TRON needs about a minute for the 19 confirmations, and each run checks at most
100 of the least recently checked pending transfers. Idempotent and reversible like the other schedules.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from apps.core.beat import PeriodicTaskSpec, schedule_operation

INTEGRITY = r"""
ALTER TABLE ledger_cryptotransactiondetail
  ADD CONSTRAINT ledger_crypto_account_matches FOREIGN KEY (account_id, organization_id, token)
      REFERENCES ledger_account (id, organization_id, currency_id),
  ADD CONSTRAINT ledger_crypto_counter_account_matches FOREIGN KEY (counter_account_id, organization_id, token)
      REFERENCES ledger_account (id, organization_id, currency_id),
  ADD CONSTRAINT ledger_crypto_fee_account_same_org FOREIGN KEY (fee_account_id, organization_id)
      REFERENCES ledger_account (id, organization_id),
  ADD CONSTRAINT ledger_crypto_fee_source_same_org FOREIGN KEY (fee_source_account_id, organization_id)
      REFERENCES ledger_account (id, organization_id),
  ADD CONSTRAINT ledger_crypto_transaction_same_org FOREIGN KEY (transaction_id, organization_id)
      REFERENCES ledger_transaction (id, organization_id);

-- Pending is the only state that changes: confirmed and failed are final, and a confirmed detail (part of
-- the books, with its posting) is never deleted. A failed or pending one may be deleted to register again.
CREATE FUNCTION ledger_crypto_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'UPDATE' AND OLD.status <> 'pending') OR (TG_OP = 'DELETE' AND OLD.status = 'confirmed') THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_crypto_final',
      MESSAGE = format('crypto transfer %s is %s: it cannot change', OLD.id, OLD.status),
      DETAIL = json_build_object('detail', OLD.id, 'status', OLD.status, 'tx_hash', OLD.tx_hash)::text;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_crypto_final BEFORE UPDATE OR DELETE ON ledger_cryptotransactiondetail
  FOR EACH ROW EXECUTE FUNCTION ledger_crypto_final();
"""

INTEGRITY_REVERSE = r"""
DROP TRIGGER IF EXISTS ledger_crypto_final ON ledger_cryptotransactiondetail;
DROP FUNCTION IF EXISTS ledger_crypto_final();
ALTER TABLE ledger_cryptotransactiondetail
  DROP CONSTRAINT ledger_crypto_account_matches, DROP CONSTRAINT ledger_crypto_counter_account_matches,
  DROP CONSTRAINT ledger_crypto_fee_account_same_org, DROP CONSTRAINT ledger_crypto_fee_source_same_org,
  DROP CONSTRAINT ledger_crypto_transaction_same_org;
"""

VERIFY_TASK_NAME = "Verify pending crypto transfers"
VERIFY = PeriodicTaskSpec(
    name=VERIFY_TASK_NAME,
    task="apps.ledger.tasks.crypto.crypto_transfers_verify_pending_task",
    minute="*",
    description="Checks the pending TRX and USDT-TRC20 transfers on TronScan and posts each one that "
    "matches its registration and has TRON_MIN_CONFIRMATIONS confirmations (key crypto:<network>:<hash>, "
    "so at most once). When TronScan is unreachable nothing is posted and the next run tries again.",
)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_fx_rates_schedule"),
        ("ledger", "0004_invoice_and_recurring_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CryptoTransactionDetail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "network",
                    models.CharField(choices=[("tron", "TRON")], default="tron", max_length=16, verbose_name="network"),
                ),
                (
                    "token",
                    models.CharField(
                        choices=[("TRX", "TRX (Tron)"), ("USDT", "USDT (TRC-20)")], max_length=10, verbose_name="token"
                    ),
                ),
                (
                    "token_contract",
                    models.CharField(
                        blank=True,
                        help_text="The TRC-20 contract address; empty for TRX.",
                        max_length=64,
                        verbose_name="token contract",
                    ),
                ),
                ("tx_hash", models.CharField(max_length=64, verbose_name="transaction hash")),
                (
                    "direction",
                    models.CharField(
                        choices=[("in", "Incoming: arrives to our wallet"), ("out", "Outgoing: leaves our wallet")],
                        max_length=3,
                        verbose_name="direction",
                    ),
                ),
                ("from_address", models.CharField(max_length=64, verbose_name="from address")),
                ("to_address", models.CharField(max_length=64, verbose_name="to address")),
                ("amount", models.DecimalField(decimal_places=8, max_digits=28, verbose_name="amount")),
                (
                    "fee_trx",
                    models.DecimalField(
                        decimal_places=8, default=0, editable=False, max_digits=28, verbose_name="network fee, TRX"
                    ),
                ),
                ("confirmations", models.PositiveIntegerField(default=0, editable=False, verbose_name="confirmations")),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Pending"), ("confirmed", "Confirmed"), ("failed", "Failed")],
                        default="pending",
                        editable=False,
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("description", models.CharField(blank=True, max_length=500, verbose_name="description")),
                (
                    "block_number",
                    models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name="block"),
                ),
                ("block_time", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="block time")),
                ("checked_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="checked at")),
                ("error", models.TextField(blank=True, editable=False, verbose_name="last problem")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="registered at")),
                (
                    "account",
                    models.ForeignKey(
                        help_text="Our account the money arrives to or leaves from, in the token's currency.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="wallet account",
                    ),
                ),
                (
                    "counter_account",
                    models.ForeignKey(
                        help_text="The other side of the posting, in the token's currency.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="counter account",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="registered by",
                    ),
                ),
                (
                    "fee_account",
                    models.ForeignKey(
                        blank=True,
                        help_text="When we send: the TRX account of purpose “network fees” the fee is booked to.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="network fee account",
                    ),
                ),
                (
                    "fee_source_account",
                    models.ForeignKey(
                        blank=True,
                        help_text="When we send USDT: the sending wallet's TRX account, which pays the network fee.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="account paying the fee",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
                (
                    "transaction",
                    models.OneToOneField(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="crypto_detail",
                        to="ledger.transaction",
                        verbose_name="posting",
                    ),
                ),
            ],
            options={
                "verbose_name": "crypto transfer",
                "verbose_name_plural": "crypto transfers",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        models.OrderBy(models.F("checked_at"), nulls_first=True),
                        models.F("id"),
                        condition=models.Q(("status", "pending")),
                        name="ledger_crypto_pending",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "network", "tx_hash"), name="ledger_crypto_hash_unique_per_network"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("network__in", ["tron"])), name="ledger_crypto_network_known"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("token__in", ["TRX", "USDT"])), name="ledger_crypto_token_known"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("direction__in", ["in", "out"])), name="ledger_crypto_direction_known"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("status__in", ["pending", "confirmed", "failed"])),
                        name="ledger_crypto_status_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("amount__gt", 0), ("fee_trx__gte", 0)),
                        name="ledger_crypto_amounts_positive",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "confirmed"), ("transaction__isnull", False)),
                            models.Q(models.Q(("status", "confirmed"), _negated=True), ("transaction__isnull", True)),
                            _connector="OR",
                        ),
                        name="ledger_crypto_confirmed_iff_posted",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("from_address", models.F("to_address")), _negated=True),
                        name="ledger_crypto_two_addresses",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("account", models.F("counter_account")), _negated=True),
                        name="ledger_crypto_two_accounts",
                    ),
                ],
            },
        ),
        migrations.RunSQL(INTEGRITY, INTEGRITY_REVERSE),
        schedule_operation(VERIFY),
    ]
