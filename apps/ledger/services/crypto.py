"""Crypto transfers (TRX and USDT-TRC20 on TRON): registered by hash, verified on the network, then posted.

1. :func:`crypto_transfer_register` records what the transfer should be (pending). The same hash registered
   again in an organization returns the first registration (one detail per hash and network).
2. :func:`crypto_transfer_verify` asks TronScan and compares: the transaction succeeded on the network, it
   moves the registered token (USDT only at Tether's contract address), between the registered addresses,
   the registered amount exactly. A mismatch or a failure on the network makes the detail failed, with the
   reason. Fewer than ``TRON_MIN_CONFIRMATIONS`` confirmations leave it pending. Otherwise it posts the
   transfer with :func:`transaction_post` (idempotency key ``crypto:<network>:<hash>``), with the network
   fee as its own leg when we sent it, and the detail becomes confirmed, tied to that posting.
3. :func:`crypto_transfers_verify_pending` does 2 for the pending ones (the beat task, every minute).

TronScan is asked outside any database transaction; the decision is then taken with the detail's row
locked, so two verifications at once post once (and the idempotency key would hold even without the lock).
When TronScan is not configured or unreachable, nothing is posted: the detail stays pending, notes why,
and the error is raised for the caller to show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.language.formatting import format_quantity
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import ProductKey, product_key
from apps.core.models import Organization
from apps.core.money.amounts import check_precision, to_decimal

from .. import tronscan
from ..models import (
    Account,
    CryptoDirection,
    CryptoNetwork,
    CryptoStatus,
    CryptoToken,
    CryptoTransactionDetail,
    Transaction,
    normalize_tx_hash,
)
from .common import pk as _pk
from .common import require_power
from .posting import Leg, transaction_post

logger = logging.getLogger(__name__)

# A TRON transaction expires at most 24 hours after it is signed: one still unknown to the network by then
# never will be. Until then "not found" may only mean it is not indexed yet.
NOT_FOUND_FAILS_AFTER = timedelta(hours=24)
PENDING_BATCH = 100

CLAIMS = ("network", "token", "direction", "from_address", "to_address", "amount", "account", "counter_account")


def crypto_idempotency_key(network: str, tx_hash: str) -> ProductKey:
    return product_key("crypto", network, tx_hash)


def _plain(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


# --- registering ------------------------------------------------------------------------------------------


def crypto_transfer_validate(
    *,
    organization: Organization | int,
    token: str,
    tx_hash: str,
    direction: str,
    account: Account | int,
    counter_account: Account | int,
    amount,
    from_address: str,
    to_address: str,
    fee_account: Account | int | None = None,
    fee_source_account: Account | int | None = None,
    description: str = "",
    network: str = CryptoNetwork.TRON,
) -> dict:
    """Check a transfer to register; return the detail's field values or raise a ValidationError naming
    every wrong field."""
    organization_id = _pk(organization)
    errors: dict[str, str] = {}
    if network not in CryptoNetwork.values:
        errors["network"] = _("“{value}” is not a network Kontora checks (tron).").format(value=network)
    if token not in CryptoToken.values:
        errors["token"] = _("“{value}” is not a token Kontora checks (TRX or USDT).").format(value=token)
    if direction not in CryptoDirection.values:
        errors["direction"] = _("Choose “in” (it arrives to our wallet) or “out” (it leaves it).")
    tx_hash = normalize_tx_hash(tx_hash)
    if not tronscan.TX_HASH_RE.match(tx_hash):
        errors["tx_hash"] = _("A TRON transaction hash is 64 hexadecimal characters; “{value}” is not.").format(
            value=tx_hash
        )
    from_address, to_address = (from_address or "").strip(), (to_address or "").strip()
    for name, address in (("from_address", from_address), ("to_address", to_address)):
        if not tronscan.ADDRESS_RE.match(address):
            errors[name] = _("“{value}” is not a TRON address (T followed by 33 base58 characters).").format(
                value=address
            )
    if "from_address" not in errors and from_address == to_address:
        errors["to_address"] = _("The transfer needs two different addresses.")
    try:
        amount = to_decimal(amount)
        if amount <= 0:
            errors["amount"] = _("The amount must be positive; {amount} is not.").format(amount=format_quantity(amount))
        elif token in CryptoToken.values:
            # The token's currency carries its precision (TRX and USDT: 6 decimals, like the chain).
            from apps.core.models import Currency

            precision = Currency.objects.filter(code=token).values_list("precision", flat=True).first() or 0
            check_precision(amount, currency=token, precision=precision)
    except ValidationError as error:
        errors.update({name: messages[0] for name, messages in error.message_dict.items()})

    wanted = {
        "account": _pk(account),
        "counter_account": _pk(counter_account),
        "fee_account": _pk(fee_account),
        "fee_source_account": _pk(fee_source_account),
    }
    accounts = {
        a.pk: a
        for a in Account.objects.filter(organization_id=organization_id, pk__in=[v for v in wanted.values() if v])
    }
    for name in ("account", "counter_account"):
        if wanted[name] is None:
            errors[name] = _("This field is required.")
            continue
        found = accounts.get(wanted[name])
        if found is None:
            errors[name] = _("No such account in this organization.")
        elif not found.is_active:
            errors[name] = _("Account {account} is closed.").format(account=found)
        elif token in CryptoToken.values and found.currency_id != token:
            errors[name] = _("Account {account} holds {currency}; a {token} transfer needs a {token} account.").format(
                account=found, currency=found.currency_id, token=token
            )
    if wanted["account"] and wanted["account"] == wanted["counter_account"]:
        errors["counter_account"] = _("Choose an account other than the wallet account.")

    if direction == CryptoDirection.OUTGOING:
        # We pay the network fee, in TRX: it is booked on a fee account and leaves the sending wallet's TRX.
        if wanted["fee_account"] is None:
            default_fee = (
                Account.objects.filter(
                    organization_id=organization_id,
                    purpose=Account.Purpose.CRYPTO_FEE,
                    currency_id="TRX",
                    is_active=True,
                )
                .order_by("code", "pk")
                .first()
            )
            if default_fee is None:
                errors["fee_account"] = _(
                    "We pay the network fee of a transfer we send: choose the account it is booked to, or create "
                    "a TRX account of purpose “network fees”."
                )
            else:
                wanted["fee_account"] = default_fee.pk
                accounts[default_fee.pk] = default_fee
        if wanted["fee_source_account"] is None and token == CryptoToken.TRX:
            wanted["fee_source_account"] = wanted["account"]  # the fee leaves the same TRX wallet
        elif wanted["fee_source_account"] is None and "account" not in errors:
            errors["fee_source_account"] = _(
                "The network fee of a USDT transfer is paid in TRX: choose the sending wallet's TRX account."
            )
        if wanted["fee_source_account"] and wanted["fee_source_account"] not in accounts:
            found = Account.objects.filter(organization_id=organization_id, pk=wanted["fee_source_account"]).first()
            if found is not None:
                accounts[found.pk] = found
        for name in ("fee_account", "fee_source_account"):
            if wanted[name] is None or name in errors:
                continue
            found = accounts.get(wanted[name])
            if found is None:
                errors[name] = _("No such account in this organization.")
            elif not found.is_active:
                errors[name] = _("Account {account} is closed.").format(account=found)
            elif found.currency_id != "TRX":
                errors[name] = _("Account {account} holds {currency}; network fees are paid in TRX.").format(
                    account=found, currency=found.currency_id
                )
            elif name == "fee_account" and found.purpose != Account.Purpose.CRYPTO_FEE:
                errors[name] = _("Account {account} is not of purpose “network fees”.").format(account=found)
    else:
        wanted["fee_account"] = wanted["fee_source_account"] = None  # the sender pays the fee, not us

    if errors:
        raise ValidationError(errors)
    return {
        "organization_id": organization_id,
        "network": network,
        "token": token,
        "token_contract": tronscan.USDT_TRC20_CONTRACT if token == CryptoToken.USDT else "",
        "tx_hash": tx_hash,
        "direction": direction,
        "from_address": from_address,
        "to_address": to_address,
        "amount": amount,
        "account_id": wanted["account"],
        "counter_account_id": wanted["counter_account"],
        "fee_account_id": wanted["fee_account"],
        "fee_source_account_id": wanted["fee_source_account"],
        "description": (description or "").strip()[:500],
    }


def _differences(existing: CryptoTransactionDetail, values: dict) -> list[str]:
    differing = []
    for name in CLAIMS:
        attname = f"{name}_id" if name in ("account", "counter_account") else name
        if getattr(existing, attname) != values[attname]:
            differing.append(name)
    return differing


def _existing(values: dict) -> tuple[CryptoTransactionDetail, bool]:
    existing = CryptoTransactionDetail.objects.get(
        organization_id=values["organization_id"], network=values["network"], tx_hash=values["tx_hash"]
    )
    differing = _differences(existing, values)
    if differing:
        raise ValidationError(
            {
                name: _(
                    "Transaction {hash} is already registered ({status}) with other details: {fields}. "
                    "Delete that registration first if it is wrong (a confirmed one stays)."
                ).format(hash=existing.tx_hash, status=existing.get_status_display(), fields=", ".join(differing))
                for name in differing
            },
            code="already_registered",
        )
    return existing, False


def crypto_transfer_register(
    *, organization: Organization | int, user, **claims
) -> tuple[CryptoTransactionDetail, bool]:
    """Register a transfer to verify (pending). Returns ``(detail, created)``.

    Registering the same hash again (a double click, a retried request, a second import) returns the first
    registration and creates nothing; registering it with other details is refused, naming them.
    """
    organization_id = _pk(organization)
    require_power(user, organization_id)
    values = crypto_transfer_validate(organization=organization_id, **claims)
    if CryptoTransactionDetail.objects.filter(
        organization_id=organization_id, network=values["network"], tx_hash=values["tx_hash"]
    ).exists():
        return _existing(values)
    user_id = getattr(user, "pk", None)
    try:
        with transaction.atomic():
            detail = CryptoTransactionDetail.objects.create(
                **values, created_by_id=user_id if isinstance(user_id, int) else None
            )
            audit_record(
                action="ledger.crypto.register",
                actor=user,
                organization=organization_id,
                obj=detail,
                changes={"tx_hash": detail.tx_hash, "token": detail.token, "amount": str(detail.amount)},
            )
    except IntegrityError:
        # Registered at the same moment by another request: the unique key let one through.
        return _existing(values)
    return detail, True


def crypto_transfer_delete(*, detail: CryptoTransactionDetail, user) -> None:
    """Remove a registration that was never posted (pending or failed), e.g. to register the hash again with
    the right details. A confirmed one is part of the books and stays."""
    with transaction.atomic():
        detail = CryptoTransactionDetail.objects.select_for_update().get(pk=detail.pk)
        require_power(user, detail.organization_id)
        if detail.status == CryptoStatus.CONFIRMED:
            raise ValidationError(_("This transfer is posted; it stays. Reverse its posting instead."))
        audit_record(
            action="ledger.crypto.delete",
            actor=user,
            organization=detail.organization_id,
            obj=detail,
            changes={"tx_hash": detail.tx_hash, "status": detail.status},
        )
        detail.delete()


# --- verifying --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    outcome: str  # "post", "wait", "fail"
    reason: str = ""


def _judge(detail: CryptoTransactionDetail, found: tronscan.TronTransaction | None, needed: int) -> _Verdict:
    if found is None:
        if timezone.now() - detail.created_at > NOT_FOUND_FAILS_AFTER:
            return _Verdict(
                "fail", _("The TRON network does not know this transaction, 24 hours after it was registered.")
            )
        return _Verdict("wait", _("Not found on the network yet: TronScan may take a minute to see a new transaction."))
    if not found.succeeded:
        return _Verdict(
            "fail",
            _("The transaction failed on the network ({result}): it moved nothing.").format(
                result=found.result + (", reverted" if found.reverted else "")
            ),
        )
    if detail.token == CryptoToken.TRX:
        moves = [t for t in found.transfers if not t.contract_address]
    else:
        moves = [t for t in found.transfers if t.contract_address == detail.token_contract]
    if not moves:
        seen = ", ".join(f"{t.token or '?'} ({t.contract_address or 'TRX'})" for t in found.transfers) or _("nothing")
        return _Verdict(
            "fail",
            _("The transaction does not move {token}; it moves {seen}.").format(token=detail.token, seen=seen),
        )
    between = [t for t in moves if t.from_address == detail.from_address and t.to_address == detail.to_address]
    if not between:
        move = moves[0]
        return _Verdict(
            "fail",
            _(
                "The transaction moves {token} from {source} to {target}, "
                "not from {claimed_source} to {claimed_target}."
            ).format(
                token=detail.token,
                source=move.from_address,
                target=move.to_address,
                claimed_source=detail.from_address,
                claimed_target=detail.to_address,
            ),
        )
    if not any(t.amount == detail.amount for t in between):
        return _Verdict(
            "fail",
            _("The transaction moves {actual} {token}, not {claimed} {token} as registered.").format(
                actual=_plain(between[0].amount), token=detail.token, claimed=_plain(detail.amount)
            ),
        )
    if found.confirmations < needed:
        return _Verdict("wait")
    return _Verdict("post")


def _posting_legs(detail: CryptoTransactionDetail) -> list[Leg]:
    memo = _("TRON transaction {hash}").format(hash=detail.tx_hash)
    if detail.direction == CryptoDirection.INCOMING:
        return [
            Leg(detail.account_id, detail.amount, memo=memo),
            Leg(detail.counter_account_id, -detail.amount, memo=memo),
        ]
    legs = [Leg(detail.counter_account_id, detail.amount, memo=memo), Leg(detail.account_id, -detail.amount, memo=memo)]
    if detail.fee_trx > 0:
        fee_memo = _("Network fee of TRON transaction {hash}").format(hash=detail.tx_hash)
        legs += [
            Leg(detail.fee_account_id, detail.fee_trx, memo=fee_memo),
            Leg(detail.fee_source_account_id, -detail.fee_trx, memo=fee_memo),
        ]
    return legs


def _posting_date(detail: CryptoTransactionDetail):
    # The business date is the day the network took the transfer, in the organization's time zone.
    return detail.organization.today(now=detail.block_time)


def _note(detail: CryptoTransactionDetail, problem: str) -> None:
    """Record why a pending detail is still pending (the admin and the API show it)."""
    CryptoTransactionDetail.objects.filter(pk=detail.pk, status=CryptoStatus.PENDING).update(
        error=problem, checked_at=timezone.now()
    )


def crypto_transfer_verify(
    *, detail: CryptoTransactionDetail, user=None, client: tronscan.TronScanClient | None = None
) -> CryptoTransactionDetail:
    """Check a pending transfer on the network and post it, fail it, or leave it pending (see the module).

    A confirmed or failed detail is returned as it is. Raises :class:`~apps.ledger.tronscan.TronScanError`
    when TronScan is not configured or cannot answer, and ValidationError when the books refuse the posting
    (a closed period, a closed account); the detail then stays pending with the reason noted.
    """
    detail = CryptoTransactionDetail.objects.select_related("organization").get(pk=detail.pk)
    if detail.status != CryptoStatus.PENDING:
        return detail
    require_power(user, detail.organization_id)
    try:
        client = client or tronscan.tronscan_client()
        found = client.transaction_info(detail.tx_hash)
    except tronscan.TronScanError as error:
        _note(detail, str(error))
        raise
    needed = tronscan.min_confirmations()
    verdict = _judge(detail, found, needed)
    try:
        with transaction.atomic():
            locked = (
                CryptoTransactionDetail.objects.select_for_update(of=("self",))
                .select_related("organization")
                .get(pk=detail.pk)
            )
            if locked.status != CryptoStatus.PENDING:
                return locked  # verified meanwhile by someone else
            before = locked.status
            locked.checked_at = timezone.now()
            locked.error = ""
            if found is not None:
                locked.confirmations = found.confirmations
                locked.fee_trx = found.fee_trx
                locked.block_number = found.block
                locked.block_time = found.timestamp
            if verdict.outcome == "fail":
                locked.status = CryptoStatus.FAILED
                locked.error = verdict.reason
            elif verdict.outcome == "wait":
                locked.error = verdict.reason
            else:
                locked.transaction = transaction_post(
                    organization=locked.organization_id,
                    user=user,
                    date=_posting_date(locked),
                    entries=_posting_legs(locked),
                    idempotency_key=crypto_idempotency_key(locked.network, locked.tx_hash),
                    description=locked.description
                    or _("{token} transfer {hash}").format(token=locked.get_token_display(), hash=locked.tx_hash),
                    kind=Transaction.Kind.TRANSFER,
                )
                locked.status = CryptoStatus.CONFIRMED
            locked.save(
                update_fields=[
                    "checked_at",
                    "error",
                    "confirmations",
                    "fee_trx",
                    "block_number",
                    "block_time",
                    "status",
                    "transaction",
                ]
            )
            if locked.status != before:
                audit_record(
                    action=f"ledger.crypto.{locked.status}",
                    actor=user,
                    organization=locked.organization_id,
                    obj=locked,
                    changes={
                        "status": [before, locked.status],
                        "confirmations": locked.confirmations,
                        "fee_trx": str(locked.fee_trx),
                        "transaction": locked.transaction_id,
                        "reason": locked.error,
                    },
                )
    except ValidationError as error:
        _note(detail, _("The books refused the posting: {reason}").format(reason="; ".join(error.messages)))
        raise
    return locked


def crypto_transfers_verify_pending(*, limit: int = PENDING_BATCH) -> dict:
    """Verify the pending transfers, least recently checked first (the beat task, every minute).

    Safe to run twice or in parallel (each verification locks its row; a posting's key is unique). Stops at
    the first sign that TronScan is unavailable: the next run tries again.
    """
    summary = {"checked": 0, CryptoStatus.CONFIRMED: 0, CryptoStatus.FAILED: 0, CryptoStatus.PENDING: 0, "refused": 0}
    try:
        client = tronscan.tronscan_client()
    except tronscan.TronScanNotConfigured as error:
        logger.warning("crypto: pending transfers not checked: %s", error)
        return {**summary, "skipped": str(error)}
    pending = list(
        CryptoTransactionDetail.objects.filter(status=CryptoStatus.PENDING)
        .order_by(F("checked_at").asc(nulls_first=True), "id")  # never checked first
        .values_list("pk", flat=True)[:limit]
    )
    for pk in pending:
        detail = CryptoTransactionDetail(pk=pk)
        try:
            detail = crypto_transfer_verify(detail=detail, user=None, client=client)
        except CryptoTransactionDetail.DoesNotExist:
            continue  # deleted meanwhile
        except tronscan.TronScanUnavailable as error:
            logger.warning("crypto: TronScan unavailable, pending transfers are checked again later: %s", error)
            return {**summary, "unavailable": str(error)}
        except (ValidationError, PermissionDenied) as error:
            logger.warning(
                "crypto: transfer %s not posted: %s", pk, "; ".join(getattr(error, "messages", [str(error)]))
            )
            summary["refused"] += 1
            continue
        summary["checked"] += 1
        summary[detail.status] += 1
    return summary
