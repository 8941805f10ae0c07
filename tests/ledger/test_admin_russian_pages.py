"""Every admin page of the ledger reads as Russian for a Russian-speaking owner: list filters, titles, buttons
and counts in the case each sentence needs, and no English word of the admin's own interface."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from apps.core.accounts.roles import Role
from apps.core.language.nouns import Noun
from tests.core.factories import MembershipFactory, UserFactory
from tests.tenancy_samples import TENANT_SAMPLES

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
LEDGER = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "ledger"), key=lambda m: m._meta.label
)

# Words of Django's admin interface that a Russian page must not show in English.
ENGLISH_UI = [
    "Add", "Change", "Delete", "Filter", "Save", "Search", "History", "Home", "Go", "Action", "Select", "View",
    "Show counts", "Hide counts", "Clear all filters", "All", "Yes", "No", "Unknown", "Today", "Log out",
    "Close", "Remove", "by", "of", "selected", "results", "total",
]  # fmt: skip


# A date or an amount written for a machine, not in the locale's form («02.03.2026», «1 000,00»).
ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
DOT_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d{2,}(?![\d.])")


class _VisibleText(HTMLParser):
    """The text a person sees: no scripts, styles or template rows hidden for JavaScript; with buttons' values
    and the choices of selects."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])
        for name in ("title", "placeholder", "aria-label"):
            if attrs.get(name):
                self.parts.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    # Texts of separate elements are kept apart, so that "Добавить" of one link and "Операция" of the next
    # heading are not read as one phrase.
    return " ¦ ".join(re.sub(r"\s+", " ", unescape(part)).strip() for part in parser.parts if part.strip())


def english_words(text: str) -> list[str]:
    return [word for word in ENGLISH_UI if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


def filter_headings(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", unescape(h)).strip() for h in re.findall(r"<summary>(.*?)</summary>", html, re.S)]


@pytest.fixture
def russian_owner(client, organization):
    user = UserFactory(language="ru")
    MembershipFactory(user=user, organization=organization, role=Role.OWNER)
    client.force_login(user)
    return client


@pytest.fixture
def demo_rows(organization):
    for make in TENANT_SAMPLES.values():
        make(organization)


def _pages(model) -> list[str]:
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    pages = [reverse(f"{prefix}_changelist")]
    pages.append(reverse(f"{prefix}_add"))
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no sample row of {model._meta.label}"
    pages.append(reverse(f"{prefix}_change", args=[obj.pk]))
    return pages


def _wrong_forms(model) -> list[str]:
    """Sentences that paste a nominative where Russian needs another case."""
    with translation.override("ru"):
        noun = Noun.of(model)
        wrong = [f"По {noun.nominative}", f"По {noun.name}"]
        if noun.accusative != noun.nominative:
            wrong += [f"Выберите {noun.nominative} ", f"Добавить {noun.nominative}", f"Изменить {noun.nominative}"]
        return wrong


@pytest.mark.parametrize("model", LEDGER, ids=[m._meta.label for m in LEDGER])
@pytest.mark.parametrize("as_superuser", [False, True], ids=["owner", "superuser"])
def test_every_ledger_admin_page_reads_in_russian(model, as_superuser, russian_owner, other_organization, demo_rows):
    if as_superuser:  # sees every organization: the lists add an organization filter and column
        russian_owner.force_login(UserFactory(language="ru", is_superuser=True, is_staff=True))
        TENANT_SAMPLES[model](other_organization)
    for page in _pages(model):
        response = russian_owner.get(page, **RU)
        if response.status_code == 403 and not page.endswith("/"):
            continue
        assert response.status_code in (200, 403) if "/add/" in page else response.status_code == 200, page
        if response.status_code != 200:
            continue
        html = response.content.decode()
        text = visible_text(html)
        for wrong in _wrong_forms(model):
            assert not re.search(re.escape(wrong) + r"(?!\w)", text), f"{page}: {wrong!r}"
        english = english_words(text)
        assert english == [], f"{page}: {english} in {text[:3000]}"
        assert ISO_DATE.findall(text) == [], f"{page}: ISO dates in the text"
        assert DOT_DECIMAL.findall(text) == [], f"{page}: amounts written with a dot (or eight decimals)"
        for heading in filter_headings(html):
            assert not heading.lower().startswith(("по ", "by ")), f"{page}: filter heading {heading!r}"
            assert heading[:1].isupper(), f"{page}: filter heading {heading!r}"


def test_the_list_filters_are_headed_by_their_title_not_by_a_preposition(russian_owner, demo_rows):
    """Django heads a filter "By %(filter_title)s": in Russian that needs the dative («По счёту»), and pasting the
    nominative reads «По счёт». The heading is the title alone, capitalized; English keeps "By account"."""
    url = reverse("admin:ledger_transaction_changelist")
    headings = filter_headings(russian_owner.get(url, **RU).content.decode())
    assert headings == ["Вид", "Счёт"]
    english = russian_owner.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert filter_headings(english) == ["By kind", "By account"]
    # The same reading finds the admin's English words on the English page.
    assert {"Filter", "Search", "Home"} <= set(english_words(visible_text(english)))


def test_the_ledger_s_own_admin_pages_read_in_russian(russian_owner, organization, demo_rows):
    """The pages the ledger adds to the admin: reversing a transaction, issuing, paying and voiding an invoice,
    the reports."""
    from apps.ledger.admin.reports import REPORTS, url_name
    from apps.ledger.models import Transaction
    from tests.ledger.factories import InvoiceFactory

    transaction = Transaction.objects.filter(organization=organization).order_by("pk").first()
    draft = InvoiceFactory(organization=organization)
    issued = InvoiceFactory(organization=organization, issued=True)
    pages = [
        reverse("admin:ledger_transaction_reverse", args=[transaction.pk]),
        reverse("admin:ledger_invoice_issue", args=[draft.pk]),
        reverse("admin:ledger_invoice_pay", args=[issued.pk]),
        reverse("admin:ledger_invoice_void", args=[issued.pk]),
        reverse("admin:ledger_reports"),
        *[reverse(f"admin:{url_name(page.key)}") for page in REPORTS],
    ]
    for page in pages:
        response = russian_owner.get(page, **RU)
        assert response.status_code == 200, page
        text = visible_text(response.content.decode())
        english = english_words(text)
        assert english == [], f"{page}: {english} in {text[:3000]}"
