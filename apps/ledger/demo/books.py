"""Demo books for the demo organization (ООО «Демо»): a chart of accounts in RUB with a USD account, projects,
categories, counterparties, and a realistic last full month of postings (sales, services on credit and their
payments, rent, salaries with taxes, advertising, hosting, bank fees, cash collections, a currency purchase at
a recorded rate, an export sale in USD, a mistaken payment and its reversal).

Idempotent: accounts and tags are found by code or name, and every posting carries the key ``demo:<n>``; once
the first posting's key is in the books the month was seeded (in one database transaction), so running it
again adds nothing, also in a later month whose plan differs.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from apps.core.mechanisms.idempotency import product_key

from .. import services
from ..models import Account, AccountType, Category, Counterparty, PeriodLock, Project, Transaction
from ..services import Leg
from ..services.books import tag_find_or_create

ASSET, LIABILITY, EQUITY, INCOME, EXPENSE = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.INCOME,
    AccountType.EXPENSE,
)
P = Account.Purpose

# code, name, type, currency, purpose, parent code, never below zero
CHART = [
    ("50", "Касса", ASSET, "RUB", P.CASH, None, True),
    ("51", "Расчётные счета", ASSET, "RUB", P.GENERAL, None, False),
    ("51.1", "Сбербанк, расчётный счёт", ASSET, "RUB", P.CASH, "51", True),
    ("51.2", "Т-Банк, расчётный счёт", ASSET, "RUB", P.CASH, "51", True),
    ("52", "Валютный счёт, USD", ASSET, "USD", P.CASH, None, True),
    ("62", "Расчёты с покупателями", ASSET, "RUB", P.RECEIVABLE, None, False),
    ("60", "Расчёты с поставщиками", LIABILITY, "RUB", P.PAYABLE, None, False),
    ("68", "Налоги и взносы", LIABILITY, "RUB", P.GENERAL, None, False),
    ("70", "Расчёты по оплате труда", LIABILITY, "RUB", P.GENERAL, None, False),
    ("80", "Уставный капитал", EQUITY, "RUB", P.GENERAL, None, False),
    ("84", "Нераспределённая прибыль", EQUITY, "RUB", P.OPENING, None, False),
    ("90", "Выручка", INCOME, "RUB", P.GENERAL, None, False),
    ("90.1", "Продажи товаров", INCOME, "RUB", P.GENERAL, "90", False),
    ("90.2", "Услуги", INCOME, "RUB", P.GENERAL, "90", False),
    ("90.3", "Экспортная выручка", INCOME, "USD", P.GENERAL, "90", False),
    ("44", "Расходы", EXPENSE, "RUB", P.GENERAL, None, False),
    ("44.1", "Аренда офиса", EXPENSE, "RUB", P.GENERAL, "44", False),
    ("44.2", "Заработная плата", EXPENSE, "RUB", P.GENERAL, "44", False),
    ("44.3", "Страховые взносы", EXPENSE, "RUB", P.GENERAL, "44", False),
    ("44.4", "Реклама", EXPENSE, "RUB", P.GENERAL, "44", False),
    ("44.5", "Хостинг и сервисы", EXPENSE, "RUB", P.GENERAL, "44", False),
    ("44.6", "Связь и интернет", EXPENSE, "RUB", P.GENERAL, "44", False),
    ("44.7", "Банковские комиссии", EXPENSE, "RUB", P.GENERAL, "44", False),
    ("44.8", "Офис и канцелярия", EXPENSE, "RUB", P.GENERAL, "44", False),
    ("44.9", "Зарубежные сервисы", EXPENSE, "USD", P.GENERAL, "44", False),
]

PROJECTS = [("Интернет-магазин", "SHOP"), ("Корпоративные клиенты", "B2B"), ("Мобильное приложение", "APP")]

# name, kind, parent name
CATEGORIES = [
    ("Продажи", Category.Kind.INCOME, None),
    ("Консалтинг", Category.Kind.INCOME, None),
    ("Экспорт", Category.Kind.INCOME, None),
    ("Аренда", Category.Kind.EXPENSE, None),
    ("Зарплата", Category.Kind.EXPENSE, None),
    ("Налоги", Category.Kind.EXPENSE, None),
    ("Реклама", Category.Kind.EXPENSE, None),
    ("Яндекс Директ", Category.Kind.EXPENSE, "Реклама"),
    ("VK Реклама", Category.Kind.EXPENSE, "Реклама"),
    ("Хостинг", Category.Kind.EXPENSE, None),
    ("Связь", Category.Kind.EXPENSE, None),
    ("Банковские комиссии", Category.Kind.EXPENSE, None),
    ("Офис", Category.Kind.EXPENSE, None),
]

# name, kind, tax id, e-mail
COUNTERPARTIES = [
    ("ООО «Ромашка»", Counterparty.Kind.CUSTOMER, "7701234567", "buh@romashka.example"),
    ("ИП Васильев", Counterparty.Kind.CUSTOMER, "772301234567", ""),
    ("ООО «Вектор»", Counterparty.Kind.CUSTOMER, "7810987654", "info@vector.example"),
    ("АО «Северный ветер»", Counterparty.Kind.CUSTOMER, "5190123456", ""),
    ("Нортвинд Трейдерс (США)", Counterparty.Kind.CUSTOMER, "", "ap@northwind.example"),
    ("Розничные покупатели", Counterparty.Kind.CUSTOMER, "", ""),
    ("АО «Офис-Центр»", Counterparty.Kind.SUPPLIER, "7705550011", "arenda@office-center.example"),
    ("ООО «Хостинг Плюс»", Counterparty.Kind.SUPPLIER, "7714443322", ""),
    ("ООО «Медиа Плюс»", Counterparty.Kind.SUPPLIER, "7725556677", ""),
    ("ПАО «Телеком»", Counterparty.Kind.SUPPLIER, "7707049388", ""),
    ("ООО «Канцмир»", Counterparty.Kind.SUPPLIER, "7736667788", ""),
    ("Амазон Веб Сервисез (AWS)", Counterparty.Kind.SUPPLIER, "", ""),
    ("ПАО Сбербанк", Counterparty.Kind.PARTNER, "7707083893", ""),
    ("ФНС России", Counterparty.Kind.OTHER, "7707329152", ""),
]


@dataclass
class _Op:
    """One posting of the plan: ``post(key)`` posts it (or, for a reversal, reverses an earlier one)."""

    date: dt.date
    post: Callable
    name: str | None = None  # a posting a later one refers to
    reverses: str | None = None  # the name of the posting this one reverses


def _last_full_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _chart(organization) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    for code, name, type_, currency, purpose, parent, non_negative in CHART:
        account, _created = Account.objects.get_or_create(
            organization=organization,
            code=code,
            defaults={
                "name": name,
                "type": type_,
                "currency_id": currency,
                "purpose": purpose,
                "parent": accounts.get(parent),
                "non_negative": non_negative,
            },
        )
        accounts[code] = account
    return accounts


def _tags(organization):
    """The demo's projects, categories and counterparties: found by name (letter case aside) or, for a project
    a user renamed, by its code; what is missing (renamed or deleted) is made again."""
    projects = {
        code: tag_find_or_create(
            Project,
            organization=organization,
            match=[{"name__iexact": name}, {"code__iexact": code}],
            defaults={"name": name, "code": code},
        )
        for name, code in PROJECTS
    }
    categories: dict[str, Category] = {}
    for name, kind, parent in CATEGORIES:
        categories[name] = tag_find_or_create(
            Category,
            organization=organization,
            match=[{"kind": kind, "name__iexact": name}],
            defaults={"name": name, "kind": kind, "parent": categories.get(parent)},
        )
    counterparties = {
        name: tag_find_or_create(
            Counterparty,
            organization=organization,
            match=[{"name__iexact": name}],
            defaults={"name": name, "kind": kind, "tax_id": tax_id, "email": email},
        )
        for name, kind, tax_id, email in COUNTERPARTIES
    }
    return projects, categories, counterparties


def plan(*, organization, user, accounts, projects, categories, counterparties, today: dt.date) -> list[_Op]:
    """The month's postings, in date order; deterministic for a given month."""
    first, last = _last_full_month(today)
    opening_date = (first - dt.timedelta(days=150)).replace(day=1)
    rng = random.Random(f"kontora-demo-{first.isoformat()}")
    a, c, k, p = accounts, categories, counterparties, projects
    org = organization.pk
    ops: list[_Op] = []
    workdays = [
        first + dt.timedelta(days=n)
        for n in range(calendar.monthrange(first.year, first.month)[1])
        if (first + dt.timedelta(days=n)).weekday() < 5
    ]

    def income(day, account, income_account, amount, description, *, category, project=None, counterparty=None):
        ops.append(
            _Op(
                day,
                lambda key: services.income_post(
                    organization=org,
                    user=user,
                    date=day,
                    account=account,
                    income_account=income_account,
                    amount=_money(amount),
                    description=description,
                    category=category,
                    project=project,
                    counterparty=counterparty,
                    idempotency_key=key,
                ),
            )
        )

    def expense(day, account, expense_account, amount, description, *, category, project=None, counterparty=None):
        ops.append(
            _Op(
                day,
                lambda key: services.expense_post(
                    organization=org,
                    user=user,
                    date=day,
                    account=account,
                    expense_account=expense_account,
                    amount=_money(amount),
                    description=description,
                    category=category,
                    project=project,
                    counterparty=counterparty,
                    idempotency_key=key,
                ),
            )
        )

    def transfer(day, source, target, amount, description, **extra):
        ops.append(
            _Op(
                day,
                lambda key: services.transfer_post(
                    organization=org,
                    user=user,
                    date=day,
                    from_account=source,
                    to_account=target,
                    amount=_money(amount),
                    description=description,
                    idempotency_key=key,
                    **extra,
                ),
            )
        )

    def complex_(day, legs, description, kind=Transaction.Kind.COMPLEX):
        # Only the kinds a bookkeeper may post by hand: an act paid outside an invoice is a complex posting,
        # not an invoice payment (which only the invoices post, and only they reverse).
        ops.append(
            _Op(
                day,
                lambda key: services.transaction_post(
                    organization=org,
                    user=user,
                    date=day,
                    entries=legs,
                    description=description,
                    kind=kind,
                    idempotency_key=key,
                ),
            )
        )

    # Opening balances: where the books start.
    complex_(
        opening_date,
        [
            Leg(a["50"].pk, _money(150_000)),
            Leg(a["51.1"].pk, _money(2_400_000)),
            Leg(a["51.2"].pk, _money(600_000)),
            Leg(a["80"].pk, _money(-10_000)),
            Leg(a["84"].pk, _money(-3_140_000)),
        ],
        "Остатки на начало ведения учёта",
        kind=Transaction.Kind.OPENING,
    )

    # The month's fixed costs and the currency purchase.
    expense(workdays[0], a["51.1"], a["44.1"], 180_000, "Аренда офиса за месяц", category=c["Аренда"],
            counterparty=k["АО «Офис-Центр»"])  # fmt: skip
    transfer(workdays[1], a["51.1"], a["52"], 400_000, "Покупка 4 400 USD для оплаты зарубежных сервисов",
             to_amount=_money(4_400))  # fmt: skip
    expense(workdays[2], a["51.1"], a["44.6"], 4_850, "Телефония и интернет", category=c["Связь"],
            counterparty=k["ПАО «Телеком»"])  # fmt: skip
    expense(workdays[3], a["51.1"], a["44.5"], 8_900, "Хостинг, тариф «Бизнес»", category=c["Хостинг"],
            project=p["SHOP"], counterparty=k["ООО «Хостинг Плюс»"])  # fmt: skip
    ops.append(
        _Op(
            workdays[4],
            lambda key, day=workdays[4]: services.expense_post(
                organization=org,
                user=user,
                date=day,
                account=a["52"],
                expense_account=a["44.9"],
                amount=_money("412.37"),
                description="AWS: серверы мобильного приложения",
                category=c["Хостинг"],
                project=p["APP"],
                counterparty=k["Амазон Веб Сервисез (AWS)"],
                idempotency_key=key,
            ),
        )
    )

    # Retail sales: cash at the till and card payments into the Т-Банк account, every day of the month.
    till = Decimal(0)
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        if rng.random() < 0.8:
            amount = _money(rng.randrange(2_500, 24_000) + rng.choice([0, 0.5, 0.9]))
            till += amount
            income(day, a["50"], a["90.1"], amount, "Розничная выручка, касса", category=c["Продажи"],
                   project=p["SHOP"], counterparty=k["Розничные покупатели"])  # fmt: skip
        if day.weekday() < 5 and rng.random() < 0.45:
            income(day, a["51.2"], a["90.1"], rng.randrange(12_000, 65_000), "Оплата картами через эквайринг",
                   category=c["Продажи"], project=p["SHOP"], counterparty=k["Розничные покупатели"])  # fmt: skip
        if day.weekday() == 4:  # Fridays: most of the cash goes to the bank
            collected = _money(till * Decimal("0.8"))
            if collected > 0:
                transfer(day, a["50"], a["51.1"], collected, "Инкассация выручки")
                till -= collected

    # Services on credit: an act (receivable) and, for most, its payment a week or two later.
    clients = ["ООО «Ромашка»", "ИП Васильев", "ООО «Вектор»", "АО «Северный ветер»"]
    for number, day in enumerate(workdays[2::3][:7], start=101):
        client = k[clients[number % len(clients)]]
        amount = _money(rng.randrange(45_000, 180_000))
        complex_(
            day,
            [
                Leg(a["62"].pk, amount, project=p["B2B"].pk, category=c["Консалтинг"].pk, counterparty=client.pk),
                Leg(a["90.2"].pk, -amount, project=p["B2B"].pk, category=c["Консалтинг"].pk, counterparty=client.pk),
            ],
            f"Акт № {number}: консультации и внедрение",
            kind=Transaction.Kind.INCOME,
        )
        paid_on = day + dt.timedelta(days=rng.choice([7, 10, 14]))
        if paid_on <= last and number % 3:
            complex_(
                paid_on,
                [
                    Leg(a["51.1"].pk, amount, project=p["B2B"].pk, counterparty=client.pk),
                    Leg(a["62"].pk, -amount, project=p["B2B"].pk, counterparty=client.pk),
                ],
                f"Оплата по акту № {number}",
                kind=Transaction.Kind.COMPLEX,
            )

    # An export sale, paid in USD.
    for day, amount in ((workdays[6], "2750.00"), (workdays[-4], "1980.00")):
        income(day, a["52"], a["90.3"], amount, "Лицензии для «Нортвинд Трейдерс»", category=c["Экспорт"],
               project=p["APP"], counterparty=k["Нортвинд Трейдерс (США)"])  # fmt: skip

    # Advertising, weekly.
    for index, day in enumerate(workdays[1::5]):
        channel = "Яндекс Директ" if index % 2 == 0 else "VK Реклама"
        expense(day, a["51.1"], a["44.4"], rng.randrange(25_000, 60_000), f"Пополнение рекламного кабинета: {channel}",
                category=c[channel], project=p["SHOP"], counterparty=k["ООО «Медиа Плюс»"])  # fmt: skip

    # Bank fees, on most working days.
    for day in workdays:
        if rng.random() < 0.45:
            expense(day, a["51.1"], a["44.7"], _money(rng.randrange(90, 1_900) + rng.choice([0, 0.4])),
                    "Комиссия банка за платежи", category=c["Банковские комиссии"],
                    counterparty=k["ПАО Сбербанк"])  # fmt: skip

    # Office supplies: one paid from the till, one bought on credit and half paid.
    expense(workdays[5], a["50"], a["44.8"], 3_480, "Вода и кофе в офис", category=c["Офис"])
    complex_(
        workdays[8],
        [
            Leg(a["44.8"].pk, _money(27_600), category=c["Офис"].pk, counterparty=k["ООО «Канцмир»"].pk),
            Leg(a["60"].pk, _money(-27_600), counterparty=k["ООО «Канцмир»"].pk),
        ],
        "Канцтовары и картриджи, счёт № 5531",
        kind=Transaction.Kind.EXPENSE,
    )
    complex_(
        workdays[12],
        [
            Leg(a["60"].pk, _money(13_800), counterparty=k["ООО «Канцмир»"].pk),
            Leg(a["51.1"].pk, _money(-13_800), counterparty=k["ООО «Канцмир»"].pk),
        ],
        "Частичная оплата счёта № 5531",
        kind=Transaction.Kind.COMPLEX,
    )

    # Salaries: accrued twice (advance and final) with income tax and contributions, then paid; taxes paid.
    for day, gross in ((workdays[9], 260_000), (workdays[-1], 340_000)):
        tax = _money(gross * Decimal("0.13"))
        contributions = _money(gross * Decimal("0.30"))
        net = _money(gross) - tax
        complex_(
            day,
            [
                Leg(a["44.2"].pk, _money(gross), category=c["Зарплата"].pk),
                Leg(a["44.3"].pk, contributions, category=c["Налоги"].pk),
                Leg(a["70"].pk, -net, memo="к выплате сотрудникам"),
                Leg(a["68"].pk, -(tax + contributions), memo="НДФЛ и страховые взносы"),
            ],
            "Начисление заработной платы, НДФЛ и страховых взносов",
        )
        complex_(day, [Leg(a["70"].pk, net), Leg(a["51.1"].pk, -net)], "Выплата заработной платы")
        complex_(
            day,
            [
                Leg(a["68"].pk, tax, counterparty=k["ФНС России"].pk),
                Leg(a["51.1"].pk, -tax, counterparty=k["ФНС России"].pk),
            ],
            "Уплата НДФЛ",
        )

    # Moving money between banks at the end of the month.
    transfer(workdays[-2], a["51.2"], a["51.1"], 250_000, "Перевод между своими счетами")

    # A payment sent by mistake, and its reversal two days later.
    expense(workdays[13], a["51.1"], a["44.8"], 12_000, "Оплата мебели (ошибочный платёж)", category=c["Офис"],
            counterparty=k["ООО «Канцмир»"])  # fmt: skip
    ops[-1].name = "mistake"
    ops.append(
        _Op(
            workdays[15],
            lambda original, day=workdays[15]: services.transaction_reverse(
                transaction=original,
                user=user,
                date=day,
                reason="платёж отправлен не тому поставщику, деньги вернулись",
            ),
            reverses="mistake",
        )
    )

    ops.sort(key=lambda op: op.date)  # stable: same-day postings keep their order
    return ops


def seed(*, organization, user) -> dict[str, Account]:
    """Seed the chart, the tags and the month's postings; returns the chart's accounts by code."""
    accounts = _chart(organization)
    projects, categories, counterparties = _tags(organization)
    if Transaction.objects.filter(organization=organization, idempotency_key=product_key("demo", 1)).exists():
        return accounts  # seeded before (a later month's plan differs: its keys must not post a second month)
    ops = plan(
        organization=organization,
        user=user,
        accounts=accounts,
        projects=projects,
        categories=categories,
        counterparties=counterparties,
        today=organization.today(),
    )
    named: dict[str, Transaction] = {}
    number = 0
    for op in ops:
        if op.reverses is not None:
            op.post(named[op.reverses])
            continue
        number += 1
        posted = op.post(product_key("demo", number))
        if op.name:
            named[op.name] = posted
    if not PeriodLock.objects.filter(organization=organization).exists():
        opening = Transaction.objects.get(organization=organization, idempotency_key=product_key("demo", 1))
        services.period_lock(organization=organization, user=user, locked_through=opening.date - dt.timedelta(days=1))
    return accounts
