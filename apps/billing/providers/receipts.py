"""The 54-FZ receipt (чек) a Russian seller must send with a payment and a refund, built once in neutral form
and rendered for each provider: YooKassa's ``receipt`` object and T-Bank's ``Receipt``.

VAT codes follow YooKassa's numbering (1 no VAT, 2 0%, 3 10%, 4 20%, 5 10/110, 6 20/120); the tax system
code 1–6 (ОСН, УСН доходы, УСН доходы минус расходы, ЕНВД, ЕСХН, патент).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

TBANK_TAX = {1: "none", 2: "vat0", 3: "vat10", 4: "vat20", 5: "vat110", 6: "vat120"}
TBANK_TAXATION = {1: "osn", 2: "usn_income", 3: "usn_income_outcome", 4: "envd", 5: "esn", 6: "patent"}


@dataclass(frozen=True)
class ReceiptItem:
    description: str
    quantity: Decimal
    amount: Decimal  # the price of one unit, in the payment's currency
    vat_code: int = 1
    payment_subject: str = "service"  # commodity, service, payment…
    payment_mode: str = "full_payment"  # full_prepayment, full_payment…

    @property
    def total(self) -> Decimal:
        return self.amount * self.quantity


@dataclass(frozen=True)
class Receipt:
    items: tuple[ReceiptItem, ...]
    email: str = ""
    phone: str = ""
    tax_system_code: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((item.total for item in self.items), Decimal(0))

    def as_json(self) -> dict:
        """What is stored on the payment (Payment.receipt): the neutral form."""
        return {
            "items": [
                {
                    "description": item.description,
                    "quantity": str(item.quantity),
                    "amount": str(item.amount),
                    "vat_code": item.vat_code,
                    "payment_subject": item.payment_subject,
                    "payment_mode": item.payment_mode,
                }
                for item in self.items
            ],
            "email": self.email,
            "phone": self.phone,
            "tax_system_code": self.tax_system_code,
        }

    @classmethod
    def from_json(cls, data: dict) -> Receipt | None:
        if not data or not data.get("items"):
            return None
        return cls(
            items=tuple(
                ReceiptItem(
                    description=item["description"],
                    quantity=Decimal(str(item["quantity"])),
                    amount=Decimal(str(item["amount"])),
                    vat_code=int(item.get("vat_code", 1)),
                    payment_subject=item.get("payment_subject", "service"),
                    payment_mode=item.get("payment_mode", "full_payment"),
                )
                for item in data["items"]
            ),
            email=data.get("email") or "",
            phone=data.get("phone") or "",
            tax_system_code=data.get("tax_system_code"),
        )


def receipt_build(*, items, email: str = "", phone: str = "", tax_system_code: int | None = None) -> Receipt:
    """A receipt from ``items`` (ReceiptItem or dicts of its fields); a receipt goes to the customer's e-mail or
    phone, so one of them is required."""
    built = tuple(item if isinstance(item, ReceiptItem) else ReceiptItem(**item) for item in items)
    if not built:
        raise ValueError("a receipt needs at least one item")
    if not (email or phone):
        raise ValueError("a receipt goes to the customer's e-mail or phone: give one")
    return Receipt(items=built, email=email, phone=phone, tax_system_code=tax_system_code)


def _yookassa_value(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"


def yookassa_receipt(receipt: Receipt, currency: str) -> dict:
    """YooKassa's ``receipt`` object (https://yookassa.ru/developers/api#create_payment_receipt)."""
    customer = {}
    if receipt.email:
        customer["email"] = receipt.email
    if receipt.phone:
        customer["phone"] = receipt.phone.lstrip("+")
    data = {
        "customer": customer,
        "items": [
            {
                "description": item.description[:128],
                "quantity": f"{item.quantity:f}",
                "amount": {"value": _yookassa_value(item.amount), "currency": currency},
                "vat_code": item.vat_code,
                "payment_subject": item.payment_subject,
                "payment_mode": item.payment_mode,
            }
            for item in receipt.items
        ],
    }
    if receipt.tax_system_code:
        data["tax_system_code"] = receipt.tax_system_code
    return data


def _kopecks(amount: Decimal) -> int:
    value = amount * 100
    if value != value.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of kopecks")
    return int(value)


def tbank_receipt(receipt: Receipt) -> dict:
    """T-Bank's ``Receipt`` (FFD 1.05): Items with Price and Amount in kopecks, Tax, Taxation."""
    data = {
        "Taxation": TBANK_TAXATION.get(receipt.tax_system_code or 1, "osn"),
        "Items": [
            {
                "Name": item.description[:128],
                "Price": _kopecks(item.amount),
                # A JSON number; a quantity is no amount of money, and a fractional one (2.5 kg) fits a double.
                "Quantity": int(item.quantity) if item.quantity == int(item.quantity) else float(item.quantity),
                "Amount": _kopecks(item.total),
                "Tax": TBANK_TAX[item.vat_code],
                "PaymentMethod": item.payment_mode,
                "PaymentObject": item.payment_subject,
            }
            for item in receipt.items
        ],
    }
    if receipt.email:
        data["Email"] = receipt.email
    if receipt.phone:
        data["Phone"] = receipt.phone
    return data
