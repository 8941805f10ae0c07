"""TronScan: what the TRON network says about a transaction, read through TronScan's public API.

Configuration (environment, read each time it is needed):

- ``TRONSCAN_API_URL``: the API's address (default ``https://apilist.tronscanapi.com``). Empty or ``none``
  turns checking off: transfers then stay pending and the admin, the API and the task say why.
- ``TRONSCAN_API_KEY``: optional; sent as the ``TRON-PRO-API-KEY`` header. Without it TronScan answers only a
  few requests per second per server and refuses the rest (HTTP 429).
- ``TRON_MIN_CONFIRMATIONS``: how many blocks must follow a transfer's own before it is posted (default 19).

Why 19: TRON's blocks are produced in turn by 27 elected "super representatives", one block every 3 seconds.
A block is final ("solidified") once more than two thirds of them, 19, have produced blocks on top of it;
before that a fork could still drop it. So 19 confirmations, about a minute, is the point where TRON itself
treats a transaction as irreversible; a larger number only waits longer.

Amounts on the wire are integers in the token's smallest unit: TRX in sun (1 TRX = 1 000 000 sun), TRC-20
tokens in 10^-decimals (USDT: 6 decimals). They become Decimals here, never floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import httpx
from django.utils.translation import gettext as _

from config.env import env_int, env_str

DEFAULT_API_URL = "https://apilist.tronscanapi.com"
DEFAULT_MIN_CONFIRMATIONS = 19
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Tether's USDT on TRON mainnet. A token calling itself "USDT" at any other address is not USDT.
USDT_TRC20_CONTRACT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TRX_DECIMALS = 6  # 1 TRX = 1 000 000 sun
TRANSFER_CONTRACT = 1  # contractType of a plain TRX transfer (TransferContract)
TRIGGER_SMART_CONTRACT = 31  # contractType of a smart-contract call (a TRC-20 transfer is one)

TX_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
ADDRESS_RE = re.compile(r"^T[1-9A-HJ-NP-Za-km-z]{33}$")

# Tests put an ``httpx.MockTransport`` here; in production it stays None (the real network).
TRANSPORT: httpx.BaseTransport | None = None


class TronScanError(Exception):
    """TronScan could not tell; ``str(error)`` says why, in words for a person."""


class TronScanNotConfigured(TronScanError):
    """Checking transfers is turned off (``TRONSCAN_API_URL`` is empty or ``none``)."""


class TronScanUnavailable(TronScanError):
    """TronScan could not be reached, refused, or answered something unreadable."""


@dataclass(frozen=True)
class TokenTransfer:
    token: str  # "TRX", or the TRC-20 token's symbol as TronScan gives it
    contract_address: str  # "" for TRX
    from_address: str
    to_address: str
    amount: Decimal


@dataclass(frozen=True)
class TronTransaction:
    """A transaction as TronScan reports it. ``transfers`` are the value movements it made (for a failed
    TRC-20 call, none)."""

    hash: str
    result: str  # contractRet: SUCCESS, REVERT, OUT_OF_ENERGY…
    reverted: bool
    confirmations: int
    confirmed: bool  # TronScan's own flag: the block is solidified
    block: int | None
    timestamp: datetime | None
    contract_type: int | None
    owner_address: str
    fee_trx: Decimal  # TRX burnt for bandwidth and energy, paid by the sender
    transfers: tuple[TokenTransfer, ...] = field(default_factory=tuple)

    @property
    def succeeded(self) -> bool:
        return self.result == "SUCCESS" and not self.reverted


def from_units(value, decimals: int) -> Decimal:
    """An integer amount in the smallest unit (``"2500000000"``, 6 decimals) as a Decimal (``2500``)."""
    try:
        units = Decimal(str(value))
    except InvalidOperation:
        raise TronScanUnavailable(_("TronScan gave an unreadable amount: “{value}”.").format(value=value)) from None
    if not units.is_finite() or units != units.to_integral_value() or units < 0:
        raise TronScanUnavailable(_("TronScan gave an unreadable amount: “{value}”.").format(value=value))
    return units.scaleb(-decimals)


def parse_transaction_info(payload) -> TronTransaction | None:
    """Read the answer of ``/api/transaction-info``; ``None`` when TronScan does not know the hash (it then
    answers an empty object)."""
    if not isinstance(payload, dict):
        raise TronScanUnavailable(_("TronScan answered something that is not a transaction."))
    if not payload.get("hash"):
        message = payload.get("message") or payload.get("Error") or payload.get("error")
        if message:
            raise TronScanUnavailable(_("TronScan answered: {message}").format(message=message))
        return None
    contract_type = payload.get("contractType")
    contract_data = payload.get("contractData") or {}
    transfers: list[TokenTransfer] = []
    if contract_type == TRANSFER_CONTRACT and "amount" in contract_data:
        transfers.append(
            TokenTransfer(
                token="TRX",
                contract_address="",
                from_address=contract_data.get("owner_address", ""),
                to_address=contract_data.get("to_address", ""),
                amount=from_units(contract_data["amount"], TRX_DECIMALS),
            )
        )
    token_transfers = payload.get("trc20TransferInfo")
    if not token_transfers and isinstance(payload.get("tokenTransferInfo"), dict):
        token_transfers = [payload["tokenTransferInfo"]]
    for item in token_transfers or []:
        if (item.get("tokenType") or "trc20").lower() != "trc20":
            continue
        try:
            decimals = int(item.get("decimals", 6))
        except (TypeError, ValueError):
            raise TronScanUnavailable(_("TronScan gave unreadable token decimals.")) from None
        transfers.append(
            TokenTransfer(
                token=str(item.get("symbol") or ""),
                contract_address=str(item.get("contract_address") or ""),
                from_address=str(item.get("from_address") or ""),
                to_address=str(item.get("to_address") or ""),
                amount=from_units(item.get("amount_str", item.get("amount", "")), decimals),
            )
        )
    timestamp = payload.get("timestamp")
    block = payload.get("block")
    return TronTransaction(
        hash=str(payload["hash"]).lower(),
        result=str(payload.get("contractRet") or ""),
        reverted=bool(payload.get("revert")),
        confirmations=max(0, int(payload.get("confirmations") or 0)),
        confirmed=bool(payload.get("confirmed")),
        block=int(block) if block is not None else None,
        timestamp=datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC) if timestamp else None,
        contract_type=contract_type,
        owner_address=str(payload.get("ownerAddress") or ""),
        fee_trx=from_units((payload.get("cost") or {}).get("fee") or 0, TRX_DECIMALS),
        transfers=tuple(transfers),
    )


class TronScanClient:
    def __init__(
        self,
        *,
        base_url: str = DEFAULT_API_URL,
        api_key: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key or None
        self.transport = transport

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["TRON-PRO-API-KEY"] = self.api_key
        return headers

    def transaction_info(self, tx_hash: str) -> TronTransaction | None:
        """What TronScan knows of the transaction, or ``None`` if it knows none with this hash."""
        url = f"{self.base_url}/api/transaction-info"
        try:
            with httpx.Client(transport=self.transport, timeout=TIMEOUT, headers=self._headers()) as client:
                response = client.get(url, params={"hash": tx_hash})
        except httpx.HTTPError as error:
            raise TronScanUnavailable(
                _("TronScan could not be reached at {url}: {error}.").format(
                    url=self.base_url, error=error.__class__.__name__
                )
            ) from error
        if response.status_code == 429:
            raise TronScanUnavailable(
                _("TronScan refused: too many requests (HTTP 429). Setting TRONSCAN_API_KEY raises the limit.")
            )
        if response.status_code in (401, 403):
            raise TronScanUnavailable(
                _("TronScan refused the request (HTTP {status}): check TRONSCAN_API_KEY.").format(
                    status=response.status_code
                )
            )
        if response.status_code != 200:
            raise TronScanUnavailable(
                _("TronScan could not answer (HTTP {status}).").format(status=response.status_code)
            )
        try:
            payload = response.json()
        except ValueError:
            raise TronScanUnavailable(_("TronScan answered something that is not JSON.")) from None
        return parse_transaction_info(payload)


def tronscan_client() -> TronScanClient:
    """The client as the environment configures it, or :class:`TronScanNotConfigured` saying how to."""
    base_url = (env_str("TRONSCAN_API_URL", DEFAULT_API_URL) or "").strip()
    if base_url.lower() in ("", "none"):
        raise TronScanNotConfigured(
            _("Checking TRON transfers is turned off: TRONSCAN_API_URL is empty. Set it (by default {url}).").format(
                url=DEFAULT_API_URL
            )
        )
    return TronScanClient(
        base_url=base_url, api_key=(env_str("TRONSCAN_API_KEY", "") or "").strip(), transport=TRANSPORT
    )


def min_confirmations() -> int:
    """``TRON_MIN_CONFIRMATIONS``, at least 1 (default 19: see the module's docstring)."""
    return max(1, env_int("TRON_MIN_CONFIRMATIONS", DEFAULT_MIN_CONFIRMATIONS))
