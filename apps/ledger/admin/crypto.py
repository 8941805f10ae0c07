"""Admin of the ledger: crypto transfers.

A transfer is registered here by its hash (the service checks the accounts, addresses and amount); the
network decides the rest. Registered transfers are read-only: "Verify now" asks TronScan at once instead of
waiting for the beat task; a pending or failed registration may be deleted to register the hash again.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.admin_kit.base import KontoraModelAdmin

from .. import services, tronscan
from ..models import Account, CryptoStatus, CryptoToken, CryptoTransactionDetail

REGISTER_FIELDS = [
    "organization",
    "token",
    "direction",
    "tx_hash",
    "from_address",
    "to_address",
    "amount",
    "account",
    "counter_account",
    "fee_account",
    "fee_source_account",
    "description",
]
SHOWN_FIELDS = [
    "organization",
    "network",
    "token",
    "token_contract",
    "direction",
    "tx_hash",
    "from_address",
    "to_address",
    "amount",
    "account",
    "counter_account",
    "fee_account",
    "fee_source_account",
    "description",
    "status",
    "confirmations",
    "fee_trx",
    "block_number",
    "block_time",
    "transaction",
    "checked_at",
    "error",
    "created_by",
    "created_at",
]


class CryptoTransferRegisterForm(forms.ModelForm):
    class Meta:
        model = CryptoTransactionDetail
        fields = REGISTER_FIELDS

    def clean(self):
        data = super().clean()
        if self.errors or data.get("organization") is None:
            return data
        try:
            self.values = services.crypto_transfer_validate(
                organization=data["organization"],
                **{name: data.get(name) for name in REGISTER_FIELDS if name != "organization"},
            )
        except ValidationError as error:
            for name, field_messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, field_messages)
        return data


@admin.register(CryptoTransactionDetail)
class CryptoTransactionDetailAdmin(KontoraModelAdmin):
    form = CryptoTransferRegisterForm
    list_display = [
        "short_hash",
        "token",
        "direction",
        "amount",
        "status",
        "confirmations",
        "fee_trx",
        "account",
        "transaction",
        "checked_at",
        "error",
        "organization",
    ]
    list_filter = ["status", "token", "direction", "network", "organization", "created_at"]
    search_fields = ["tx_hash", "from_address", "to_address", "description"]
    list_select_related = ["organization", "account", "account__currency", "transaction"]
    date_hierarchy = "created_at"
    actions = ["verify_now"]

    @admin.display(description=_("transaction hash"), ordering="tx_hash")
    def short_hash(self, obj):
        return format_html('<span title="{}">{}…{}</span>', obj.tx_hash, obj.tx_hash[:10], obj.tx_hash[-6:])

    def get_fields(self, request, obj=None):
        return REGISTER_FIELDS if obj is None else SHOWN_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else SHOWN_FIELDS

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Account:
            # Only accounts that can take part: wallets and counter accounts in TRX or USDT, fees in TRX.
            currencies = ["TRX"] if db_field.name.startswith("fee") else CryptoToken.values
            field.queryset = field.queryset.filter(is_active=True, currency_id__in=currencies)
            if db_field.name == "fee_account":
                field.queryset = field.queryset.filter(purpose=Account.Purpose.CRYPTO_FEE)
        return field

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # registered transfers change only through verification

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status == CryptoStatus.CONFIRMED:
            return False  # posted: part of the books
        return self._may_write(request, obj)

    def has_verify_permission(self, request) -> bool:
        return self._may_write(request)

    def save_model(self, request, obj, form, change):
        detail, created = services.crypto_transfer_register(
            organization=form.cleaned_data["organization"],
            user=request.user,
            **{name: form.cleaned_data.get(name) for name in REGISTER_FIELDS if name != "organization"},
        )
        if not created:
            messages.info(request, _("This transaction was registered already; nothing new was created."))
        # The admin goes on with `obj` (history entry, redirect): make it the registered transfer.
        obj.__dict__.update({k: v for k, v in detail.__dict__.items() if k != "_state"})
        obj._state.adding = False
        obj._state.db = detail._state.db

    def delete_model(self, request, obj):
        services.crypto_transfer_delete(detail=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for detail in queryset:
            try:
                services.crypto_transfer_delete(detail=detail, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, f"{detail}: {'; '.join(getattr(error, 'messages', [str(error)]))}")

    @admin.action(description=_("Verify now on the network"), permissions=["verify"])
    def verify_now(self, request, queryset):
        outcome = {CryptoStatus.CONFIRMED: 0, CryptoStatus.PENDING: 0, CryptoStatus.FAILED: 0}
        pending = list(queryset.filter(status=CryptoStatus.PENDING).order_by("pk"))
        if not pending:
            self.message_user(request, _("Only pending transfers are verified; none was selected."), messages.INFO)
            return
        for detail in pending:
            try:
                detail = services.crypto_transfer_verify(detail=detail, user=request.user)
            except tronscan.TronScanError as error:
                # Not configured or unreachable: the same for every other one, so stop here.
                self.message_user(request, str(error), messages.ERROR)
                break
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request, f"{detail}: {'; '.join(getattr(error, 'messages', [str(error)]))}", messages.ERROR
                )
                continue
            outcome[detail.status] += 1
            if detail.status == CryptoStatus.FAILED:
                self.message_user(request, f"{detail}: {detail.error}", messages.WARNING)
        confirmed, waiting, failed = (
            outcome[s] for s in (CryptoStatus.CONFIRMED, CryptoStatus.PENDING, CryptoStatus.FAILED)
        )
        if confirmed:
            self.message_user(
                request,
                ngettext(
                    "{count} transfer confirmed and posted.", "{count} transfers confirmed and posted.", confirmed
                ).format(count=confirmed),
                messages.SUCCESS,
            )
        if waiting:
            self.message_user(
                request,
                ngettext(
                    "{count} transfer is still waiting for confirmations.",
                    "{count} transfers are still waiting for confirmations.",
                    waiting,
                ).format(count=waiting),
            )
        if failed:
            self.message_user(
                request,
                ngettext("{count} transfer failed.", "{count} transfers failed.", failed).format(count=failed),
                messages.WARNING,
            )
