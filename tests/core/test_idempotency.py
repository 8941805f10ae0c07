"""The idempotency key mechanism every domain uses: two namespaces that never meet, and clear refusals."""

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from apps.core.mechanisms.idempotency import (
    ProductKey,
    display_key,
    product_key,
    request_key,
    stored_key,
)


def test_a_clients_key_is_stored_in_its_namespace_and_shown_as_sent():
    stored = stored_key("invoice:12:issue")

    assert stored == "client:invoice:12:issue"
    assert display_key(stored) == "invoice:12:issue"


def test_a_product_key_is_stored_as_it_stands():
    key = product_key("invoice", 12, "issue")

    assert isinstance(key, ProductKey)
    assert stored_key(key) == "invoice:12:issue"


def test_no_product_key_can_take_the_clients_namespace():
    with pytest.raises(ValueError, match="not a product key"):
        product_key("client:abc")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "An idempotency key is required"),
        ("   ", "An idempotency key is required"),
        ("x" * 101, "longer than 100 characters"),
        ("a\x00b", "printable characters only"),
        ("a\nb", "printable characters only"),
    ],
)
def test_a_bad_client_key_is_refused_naming_the_field(raw, message):
    with pytest.raises(ValidationError) as refused:
        stored_key(raw)

    assert list(refused.value.message_dict) == ["idempotency_key"]
    assert message in refused.value.message_dict["idempotency_key"][0]


def test_the_header_and_the_field_must_agree():
    request = RequestFactory().post("/", HTTP_IDEMPOTENCY_KEY="a")

    assert request_key(request, "") == "a"
    assert request_key(request, "a") == "a"
    with pytest.raises(ValidationError, match="differ"):
        request_key(request, "b")
