"""The admin names every model in the grammatical case each sentence needs (``apps.core.language.nouns``): titles,
buttons, counts, inlines, delete pages and messages read as Russian, and English still reads as English."""

from __future__ import annotations

import contextlib
import json
import re
from html import unescape

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from apps.core.language.nouns import Noun, forms_of
from apps.core.models import Currency, Organization
from apps.ledger.models import Account, Category, Counterparty, Invoice, Transaction
from tests.core.factories import UserFactory
from tests.tenancy_samples import TENANT_SAMPLES

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def with_rows(organization, member_of):
    member_of(organization)
    for make in TENANT_SAMPLES.values():
        make(organization)


def _add_texts(response) -> dict[str, str]:
    """The "Add another" text of each inline of a change form, by the inline model's name."""
    return {
        inline.opts.model._meta.model_name: json.loads(inline.inline_formset_data())["options"]["addText"]
        for inline in response.context["inline_admin_formsets"]
    }


def _wrong_case_patterns(model) -> list[str]:
    """Sentences that paste the nominative where Russian needs another case (Django's own wording), for the
    forms that differ from the nominative (счёт is its own accusative; операция is not)."""
    with translation.override("ru"):
        noun = Noun.of(model)
        if noun is None:
            return []
        nominative, plural = noun.nominative, noun.nominative_plural
        patterns = [f"Удалить выбранные {plural}"] if noun.accusative_plural != plural else []
        if noun.accusative != nominative:
            patterns += [f"Выберите {nominative} для", f"Добавить {nominative}", f"Изменить {nominative}"]
            patterns += [f"удалить {nominative} ", f"Не удается удалить {nominative}"]
        return patterns + [f"Добавить еще один {noun.name}"]


def test_every_model_of_core_and_ledger_has_forms():
    from django.apps import apps

    missing = [m._meta.label for app in ("core", "ledger") for m in apps.get_app_config(app).get_models()]
    missing = [label for label in missing if forms_of(apps.get_model(label)) is None]
    assert missing == []


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_every_admin_page_reads_in_the_right_case(model, model_admin, superuser_client, with_rows):
    pages = [_url(model, "changelist"), _url(model, "add")]
    obj = model._default_manager.first()
    if obj is not None:
        pages.append(_url(model, "change", obj.pk))
        with contextlib.suppress(NoReverseMatch):
            pages.append(_url(model, "delete", obj.pk))
    noun = forms_of(model)
    wrong_patterns = _wrong_case_patterns(model)
    for page in pages:
        response = superuser_client.get(page, **RU)
        assert response.status_code in (200, 403), page
        if response.status_code != 200:
            continue
        text = _text(response)
        for wrong in wrong_patterns:
            assert not re.search(re.escape(wrong) + r"(?!\w)", text), f"{page}: {wrong!r}"
        if noun is not None and page == pages[0]:
            with translation.override("ru"):
                title = f"Выберите {Noun.of(model).accusative} для"
            assert title in text, page


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_the_delete_action_names_the_selected_objects_in_the_accusative_plural(model, model_admin, superuser_client):
    response = superuser_client.get(_url(model, "changelist"), **RU)
    if response.status_code != 200 or "delete_selected" not in response.content.decode():
        return
    with translation.override("ru"):
        noun = Noun.of(model)
        expected = f"Удалить выбранные {noun.accusative_plural}" if noun else None
    if expected:
        assert expected in _text(response)


def test_category_pages_use_the_accusative_and_counts(superuser_client, organization):
    from tests.ledger.factories import CategoryFactory

    CategoryFactory.create_batch(5, organization=organization)
    changelist = _text(superuser_client.get(_url(Category, "changelist"), **RU))
    assert "Выберите категорию для изменения" in changelist
    assert "Добавить категорию" in changelist
    assert "5 категорий" in changelist

    add = superuser_client.get(_url(Category, "add"), **RU)
    assert "Добавить категорию" in _text(add)
    assert add.context["title"] == "Добавить категорию"


def test_the_transaction_list_is_titled_in_the_accusative(superuser_client, organization):
    text = _text(superuser_client.get(_url(Transaction, "changelist"), **RU))
    assert "Выберите операцию для просмотра" in text  # posted records are read-only


def test_counts_agree_with_their_number():
    with translation.override("ru"):
        noun = Noun.of(Account)
        assert [noun.count(n) for n in (1, 2, 5, 11, 21, 27)] == [
            "1 счёт", "2 счёта", "5 счетов", "11 счетов", "21 счёт", "27 счетов",
        ]  # fmt: skip
    with translation.override("en"):
        assert [Noun.of(Account).count(n) for n in (1, 27)] == ["1 account", "27 accounts"]


def test_the_change_list_count_of_the_chart_of_accounts(superuser_client, organization):
    from tests.ledger.factories import AccountFactory

    AccountFactory.create_batch(27, organization=organization)
    total = Account.objects.count()
    with translation.override("ru"):
        expected = Noun.of(Account).count(total)
    text = _text(superuser_client.get(_url(Account, "changelist"), **RU))
    assert expected in text
    assert f"{total} план счетов" not in text


def test_the_inline_add_button_reads_add_another_invoice_line(superuser_client, organization):
    response = superuser_client.get(_url(Invoice, "add"), **RU)
    assert _add_texts(response)["invoiceline"] == "Добавить ещё одну строку счёта"


def test_animate_nouns_take_the_animate_accusative(superuser_client, organization):
    text = _text(superuser_client.get(_url(Counterparty, "changelist"), **RU))
    assert "Выберите контрагента для изменения" in text
    assert "Добавить контрагента" in text


def test_success_messages_agree_with_the_gender(superuser_client, organization):
    response = superuser_client.post(
        _url(Organization, "change", organization.pk),
        {
            "name": "ООО «Ромашка»",
            "slug": organization.slug,
            "time_zone": organization.time_zone,
            "reporting_currency": organization.reporting_currency_id,
            "language": organization.language,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
        **RU,
    )
    if response.status_code != 302:  # the form has other required fields: fill them from the page's form
        form = response.context["adminform"].form
        pytest.fail(f"organization form refused: {form.errors}")
    text = " ".join(unescape(str(m)) for m in get_messages(response.wsgi_request))
    assert "Организация «" in text
    assert "» изменена." in text


def test_the_deletion_message_agrees_with_the_gender(superuser_client):
    currency = Currency.objects.create(code="XTS", name="Test", precision=2)
    response = superuser_client.post(_url(Currency, "delete", currency.pk), {"post": "yes"}, **RU)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Валюта «XTS» удалена."]


def test_the_deletion_message_of_several_counts_them(superuser_client):
    for code in ("XTA", "XTB", "XTC"):
        Currency.objects.create(code=code, name=code, precision=2)
    response = superuser_client.post(
        _url(Currency, "changelist"),
        {"action": "delete_selected", "_selected_action": ["XTA", "XTB", "XTC"], "post": "yes"},
        **RU,
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Удалено: 3 валюты."]


def test_the_delete_page_asks_in_the_accusative(superuser_client):
    currency = Currency.objects.create(code="XTS", name="Test", precision=2)
    text = _text(superuser_client.get(_url(Currency, "delete", currency.pk), **RU))
    assert "Вы уверены, что хотите удалить валюту «" in text
    assert "Удаление валюты" in text or "Удалить валюту" in text


def test_models_without_forms_keep_djangos_wording(superuser_client):
    from django_celery_beat.models import CrontabSchedule

    assert forms_of(CrontabSchedule) is None
    text = _text(superuser_client.get(_url(CrontabSchedule, "changelist"), **EN))
    assert "Select crontab to change" in text


def test_english_reads_as_before(superuser_client, organization):
    text = _text(superuser_client.get(_url(Transaction, "changelist"), **EN))
    assert "Select transaction to view" in text
    assert "Add transaction" in text
    add = superuser_client.get(_url(Invoice, "add"), **EN)
    assert _add_texts(add)["invoiceline"] == "Add another invoice line"
