"""Russian wherever a Russian user reads: audit actions by their labels, the API's errors and docs, the
sign-up e-mail (subject, text and HTML)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from apps.core.mechanisms.audit import ACTION_LABELS, action_label, audit_record
from apps.core.models import AuditLog
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def _codes_in_source() -> set[str]:
    """Every audit action code the services write (the f-string families spelled out)."""
    codes = set()
    for path in Path(settings.BASE_DIR, "apps").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"audit_record\((.*?)\)", text, re.DOTALL):
            codes.update(re.findall(r'action="([a-z_.]+)"', block))
    for model in ("account", "project", "category", "counterparty"):
        codes.update({f"ledger.{model}.create", f"ledger.{model}.update", f"ledger.{model}.delete"})
    codes.update({"ledger.crypto.pending", "ledger.crypto.confirmed", "ledger.crypto.failed"})
    return codes


def test_every_audit_action_has_a_russian_label():
    codes = _codes_in_source()
    assert len(codes) > 30
    assert sorted(codes - set(ACTION_LABELS)) == []
    with translation.override("ru"):
        untranslated = [code for code in codes if not CYRILLIC.search(action_label(code))]
    assert untranslated == []


def test_an_unknown_action_is_shown_by_its_code():
    assert action_label("nowhere.else") == "nowhere.else"


def test_the_admin_shows_audit_actions_by_label(client, organization, member_of):
    owner = member_of(organization)
    audit_record(action="organization.update", actor=owner, organization=organization, obj=organization)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    page = client.get(reverse("admin:core_auditlog_changelist"), **RU).content.decode()

    assert "Организация изменена" in page
    assert ">organization.update<" not in page
    record = AuditLog.objects.get(action="organization.update")
    detail = client.get(reverse("admin:core_auditlog_change", args=[record.pk]), **RU).content.decode()
    assert "Организация изменена" in detail


def test_the_api_audit_list_gives_the_label_in_the_request_language(client, organization, member_of):
    owner = member_of(organization)
    audit_record(action="membership.add", actor=owner, organization=organization, obj=organization)
    client.force_login(owner)

    russian = client.get("/api/v1/audit-log/", **RU).json()
    english = client.get("/api/v1/audit-log/", HTTP_ACCEPT_LANGUAGE="en").json()

    rows = russian.get("results", russian)
    assert {row["action"]: row["action_label"] for row in rows}["membership.add"] == "Участник добавлен"
    rows = english.get("results", english)
    assert {row["action"]: row["action_label"] for row in rows}["membership.add"] == "Member added"


def test_api_errors_come_in_russian(client, organization, member_of):
    unauthenticated = client.get("/api/v1/organizations/", **RU).json()
    assert CYRILLIC.search(unauthenticated["error"]["message"]), unauthenticated

    client.force_login(member_of(organization))
    missing = client.get("/api/v1/organizations/999999/", **RU).json()
    assert CYRILLIC.search(missing["error"]["message"]), missing

    invalid = client.post("/api/v1/ledger/accounts/", {}, content_type="application/json", **RU).json()
    messages = [m for field in invalid["error"].get("fields", {}).values() for m in field]
    assert messages
    assert all(CYRILLIC.search(message) for message in messages), invalid


def test_the_api_docs_introduction_is_translated(client):
    russian = client.get(reverse("api-schema"), {"format": "json", "lang": "ru"})
    english = client.get(reverse("api-schema"), {"format": "json", "lang": "en"})

    assert CYRILLIC.search(russian.json()["info"]["description"])
    assert english.json()["info"]["description"].startswith("Books, traffic, leads")


def test_the_sign_up_email_is_in_russian_text_and_html(client):
    with translation.override("ru"):
        url = reverse("account_signup")
    password = "a long and unusual Password 7"

    client.post(url, {"email": "novichok@example.com", "password1": password, "password2": password}, **RU)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[Kontora] Пожалуйста, подтвердите Ваш адрес электронной почты"
    assert "Вы получили это письмо" in message.body
    assert "Hello" not in message.body
    assert "receiving" not in message.body
    html = {kind: body for body, kind in message.alternatives}["text/html"]
    assert "Вы получили это письмо" in html
    assert "Подтвердите адрес электронной почты" in html
    assert "Hello" not in html
    assert "receiving" not in html
