"""The plumbing every domain's API shares: the organization a request acts for, idempotency keys and the
201/200 answer, money strings, and the mapping of service errors to the API's one error shape."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.test import APIRequestFactory

from apps.core.accounts.roles import Role, write_power
from apps.core.api.errors import exception_handler
from apps.core.api.fields import money, plain
from apps.core.api.idempotency import created_status, idempotency_key
from apps.core.api.organizations import organization_field, organization_for, organization_named
from apps.core.mechanisms.idempotency import IdempotencyConflict, mark_replay
from apps.core.models import Membership
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

LEDGER_WRITE = write_power("ledger")
AMBIGUOUS = "Name the organization: you write in more than one."


def request_of(user, **headers):
    request = APIRequestFactory().post("/", headers=headers)
    request.user = user
    return request


# --- the organization of a read ---------------------------------------------------------------------------


def test_a_read_names_one_of_the_users_organizations_by_slug(organization, other_organization, member_of):
    user = member_of(organization, role=Role.VIEWER)
    member_of(other_organization)  # someone else's organization

    assert organization_for(request_of(user), organization.slug) == organization
    with pytest.raises(exceptions.NotFound):  # another organization is not found, never forbidden
        organization_for(request_of(user), other_organization.slug)
    with pytest.raises(exceptions.NotFound):
        organization_for(request_of(user), "no-such-organization")


def test_without_a_slug_a_read_is_about_the_users_only_organization(organization, other_organization, member_of):
    single = member_of(organization, role=Role.VIEWER)
    double = member_of(organization)
    member_of(other_organization)
    Membership.objects.create(user=double, organization=other_organization, role=Role.VIEWER)

    assert organization_for(request_of(single), None) == organization
    with pytest.raises(exceptions.ValidationError) as refused:
        organization_for(request_of(double), None)
    assert list(refused.value.detail) == ["organization"]


def test_an_organization_named_by_id_must_be_the_users(organization, other_organization, member_of):
    user = member_of(organization, role=Role.VIEWER)
    superuser = UserFactory(is_superuser=True, is_staff=True)

    assert organization_named(user, pk=organization.pk) == organization
    assert organization_named(superuser, pk=other_organization.pk) == other_organization
    with pytest.raises(exceptions.NotFound):
        organization_named(user, pk=other_organization.pk)


# --- the organization of a write --------------------------------------------------------------------------


class _WriteSerializer(serializers.Serializer):
    organization = organization_field(power=LEDGER_WRITE, ambiguous_message=AMBIGUOUS)


def _write(user, data):
    serializer = _WriteSerializer(data=data, context={"request": request_of(user)})
    return serializer, serializer.is_valid()


def test_a_write_defaults_to_the_only_organization_where_the_user_may_write(organization, other_organization):
    user = UserFactory()
    Membership.objects.create(user=user, organization=organization, role=Role.BOOKKEEPER)
    Membership.objects.create(user=user, organization=other_organization, role=Role.VIEWER)  # may only read

    serializer, valid = _write(user, {})

    assert valid, serializer.errors
    assert serializer.validated_data["organization"] == organization


def test_a_write_refuses_an_organization_without_the_power_as_if_it_did_not_exist(organization, other_organization):
    user = UserFactory()
    Membership.objects.create(user=user, organization=organization, role=Role.BOOKKEEPER)
    Membership.objects.create(user=user, organization=other_organization, role=Role.VIEWER)

    viewer_only, viewer_valid = _write(user, {"organization": other_organization.slug})
    missing, missing_valid = _write(user, {"organization": "no-such-organization"})

    assert not viewer_valid
    assert not missing_valid
    assert [(e.code, str(e)) for e in viewer_only.errors["organization"]] == [
        ("does_not_exist", f"Object with slug={other_organization.slug} does not exist.")
    ]
    assert [e.code for e in missing.errors["organization"]] == ["does_not_exist"]


def test_a_write_must_name_the_organization_when_the_user_may_write_in_several(organization, other_organization):
    user = UserFactory()
    Membership.objects.create(user=user, organization=organization, role=Role.BOOKKEEPER)
    Membership.objects.create(user=user, organization=other_organization, role=Role.BOOKKEEPER)

    serializer, valid = _write(user, {})
    named, named_valid = _write(user, {"organization": other_organization.slug})

    assert not valid
    assert [str(e) for e in serializer.errors["organization"]] == [AMBIGUOUS]
    assert serializer.errors["organization"][0].code == "required"
    assert named_valid
    assert named.validated_data["organization"] == other_organization


# --- idempotency keys -------------------------------------------------------------------------------------


def test_the_key_comes_from_the_header_or_the_field_and_both_must_agree():
    user = UserFactory()
    from_field = {"idempotency_key": "doc-1", "amount": "5"}

    assert idempotency_key(request_of(user), from_field) == "doc-1"
    assert from_field == {"amount": "5"}  # taken out: the service gets it as its own argument
    assert idempotency_key(request_of(user, **{"Idempotency-Key": "doc-2"}), {}) == "doc-2"
    with pytest.raises(DjangoValidationError) as differ:
        idempotency_key(request_of(user, **{"Idempotency-Key": "doc-2"}), {"idempotency_key": "doc-3"})
    assert list(differ.value.message_dict) == ["idempotency_key"]
    with pytest.raises(DjangoValidationError) as missing:
        idempotency_key(request_of(user), {})
    assert list(missing.value.message_dict) == ["idempotency_key"]


def test_a_replay_answers_200_and_a_creation_201():
    made_now = mark_replay(SimpleNamespace(), False)
    made_before = mark_replay(SimpleNamespace(), True)

    assert (created_status(made_now), created_status(made_before)) == (201, 200)


# --- money strings ----------------------------------------------------------------------------------------


def test_money_has_exactly_the_currencys_decimals_and_plain_no_trailing_zeros():
    assert money(Decimal("1500"), 2) == "1500.00"
    assert money(Decimal("0.00012"), 8) == "0.00012000"
    assert money(None, 2) is None
    assert plain(Decimal("2.500000")) == "2.5"
    assert plain(Decimal("3.000000")) == "3"
    assert plain(Decimal("7.5"), 2) == "7.50"


# --- service errors in the API's one shape ----------------------------------------------------------------


def test_a_services_validation_error_answers_400_naming_the_field():
    response = exception_handler(DjangoValidationError({"entries.1.amount": ["Not a number."]}), {})

    assert response.status_code == 400
    assert response.data["error"]["code"] == "validation_error"
    assert response.data["error"]["fields"] == {"entries.1.amount": ["Not a number."]}


def test_a_reused_idempotency_key_answers_409_naming_the_key():
    response = exception_handler(IdempotencyConflict("doc-1", ["amount"]), {})

    assert response.status_code == 409
    assert response.data["error"]["code"] == "idempotency_conflict"
    assert list(response.data["error"]["fields"]) == ["idempotency_key"]
    assert "doc-1" in response.data["error"]["message"]


def test_a_services_permission_refusal_answers_403_with_its_message():
    response = exception_handler(DjangoPermissionDenied("Your role does not allow closing these books."), {})

    assert response.status_code == 403
    assert response.data["error"] == {
        "code": "permission_denied",
        "message": "Your role does not allow closing these books.",
    }


def test_a_foreign_organization_answers_404_in_the_error_shape(organization, other_organization, member_of):
    user = member_of(organization, role=Role.VIEWER)
    with pytest.raises(exceptions.NotFound) as refused:
        organization_for(request_of(user), other_organization.slug)

    response = exception_handler(refused.value, {})

    assert response.status_code == 404
    assert response.data["error"]["code"] == "not_found"
