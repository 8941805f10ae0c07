"""API credentials in the admin: keys are created (the key shown once) and revoked there; logins are visible
to superusers only."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.models import ApiKey, RefreshToken
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:core_apikey_add")
KEYS_URL = reverse("admin:core_apikey_changelist")
LOGINS_URL = reverse("admin:core_refreshtoken_changelist")


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_an_admin_adds_a_key_and_sees_it_once(client, organization, member_of):
    admin_user = member_of(organization, role=Role.ADMIN)
    client.force_login(admin_user)

    response = client.post(
        ADD_URL,
        {"organization": organization.pk, "name": "Warehouse sync", "scopes": ["read", "write"], "role": "operator"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    api_key = ApiKey.objects.get()
    assert api_key.created_by == admin_user
    assert api_key.scopes == ["read", "write"]
    shown = [found for message in _messages(response) for found in re.findall(r"kon_\S+", message)]
    assert len(shown) == 1
    assert api_key.key_hash == tokens.hash_secret(shown[0])
    assert tokens.api_key_authenticate(shown[0]).organization_id == organization.pk


def test_the_add_form_shows_the_rules_next_to_the_fields(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.ADMIN))

    response = client.post(
        ADD_URL,
        {
            "organization": organization.pk,
            "name": "x",
            "scopes": ["read"],
            "role": "owner",
            "expires_at_0": "2001-01-01",
            "expires_at_1": "00:00:00",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors.keys() == {"role", "expires_at"}
    assert not ApiKey.objects.exists()


def test_a_bookkeeper_cannot_add_keys(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))

    assert client.get(ADD_URL).status_code == 403


def test_keys_are_read_only_and_revoked_by_an_action(client, organization, member_of):
    admin_user = member_of(organization, role=Role.ADMIN)
    api_key, _plain = tokens.api_key_create(organization=organization, name="x", scopes=["read"], by=admin_user)
    client.force_login(admin_user)

    change = client.get(reverse("admin:core_apikey_change", args=[api_key.pk]))
    assert change.status_code == 200
    assert b"key_hash" not in change.content
    assert api_key.key_hash.encode() not in change.content

    response = client.post(KEYS_URL, {"action": "revoke", "_selected_action": [api_key.pk]})

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert "1 key revoked." in _messages(response)


def test_a_viewer_sees_keys_but_cannot_revoke_them(client, organization, member_of):
    viewer = member_of(organization, role=Role.VIEWER)
    api_key, _plain = tokens.api_key_create(organization=organization, name="x", scopes=["read"], by=None)
    client.force_login(viewer)

    assert client.get(KEYS_URL).status_code == 200
    client.post(KEYS_URL, {"action": "revoke", "_selected_action": [api_key.pk]})

    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_logins_are_for_superusers_only(client, organization, member_of):
    owner = member_of(organization, role=Role.OWNER)
    tokens.token_pair_issue(user=owner)
    client.force_login(owner)

    assert client.get(LOGINS_URL).status_code == 403


def test_a_superuser_revokes_a_login(client, organization, member_of, django_capture_on_commit_callbacks):
    owner = member_of(organization)
    pair = tokens.token_pair_issue(user=owner)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    token = RefreshToken.objects.get()

    assert client.get(LOGINS_URL).status_code == 200
    assert client.get(reverse("admin:core_refreshtoken_add")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        client.post(LOGINS_URL, {"action": "revoke_family", "_selected_action": [token.pk]})

    with pytest.raises(tokens.AuthError) as refused:
        tokens.token_refresh(refresh=pair.refresh)
    assert refused.value.code == "token_revoked"
    with pytest.raises(tokens.AuthError):
        tokens.access_token_verify(pair.access)
