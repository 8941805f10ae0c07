"""The live stream: publishing after commit, the authenticated WebSocket, tenancy, replay and gaps.

The WebSocket is driven through the project's real ASGI application (origin check, session authentication,
URL routing) with Channels' communicator, on the real Redis channel layer. Test bodies are coroutines run
by ``async_to_sync``; everything that touches the database runs in ``sync_to_async``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from apps.core.models import Membership
from apps.core.realtime import notify_membership_changed, publish, streams
from config.asgi import application
from tests.core.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def connection(client: Client | None = None, *, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [origin] if origin else []
    if client is not None:
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


def run(scenario):
    """Run an async test body to completion (pytest-asyncio is not part of the stack)."""
    async_to_sync(scenario)()


async def connected(client: Client) -> tuple[WebsocketCommunicator, dict]:
    ws = connection(client)
    ok, _ = await ws.connect()
    assert ok
    hello = await ws.receive_json_from(timeout=3)
    assert hello["type"] == "hello"
    return ws, hello


def publish_committed(organization, event_type, payload):
    with transaction.atomic():
        publish(organization, event_type, payload)


apublish = sync_to_async(publish_committed)


# --- connecting -----------------------------------------------------------------------------------------


def test_an_anonymous_connection_is_closed_with_4401():
    async def scenario():
        ws = connection()
        ok, _ = await ws.connect()
        assert ok  # accepted, so that the browser sees the close code, then closed at once
        assert await ws.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}
        await ws.disconnect()

    run(scenario)


def test_a_foreign_origin_is_refused(organization, member_of):
    client = signed_in_client(member_of(organization))

    async def scenario():
        ws = connection(client, origin=(b"origin", b"https://evil.example"))
        ok, _ = await ws.connect()
        assert not ok
        # As daphne does when the socket closes: without it the refused consumer is left waiting on its channel.
        await ws.disconnect()

    run(scenario)


def test_hello_lists_the_streams_of_the_users_organizations_with_their_sequence_numbers(
    organization, other_organization, member_of
):
    user = member_of(organization)
    MembershipFactory(user=user, organization=other_organization)
    publish(organization, "demo.greeting", {"message": "one"})
    publish(organization, "demo.greeting", {"message": "two"})
    client = signed_in_client(user)

    async def scenario():
        ws, hello = await connected(client)
        streams_by_name = {entry["stream"]: entry for entry in hello["streams"]}
        assert streams_by_name == {
            f"org:{organization.pk}": {"stream": f"org:{organization.pk}", "name": organization.name, "seq": 2},
            f"org:{other_organization.pk}": {
                "stream": f"org:{other_organization.pk}",
                "name": other_organization.name,
                "seq": 0,
            },
        }
        await ws.disconnect()

    run(scenario)


def test_a_superuser_follows_only_the_organizations_they_are_a_member_of(organization, other_organization):
    admin = UserFactory(is_superuser=True, is_staff=True)
    MembershipFactory(user=admin, organization=organization)
    client = signed_in_client(admin)

    async def scenario():
        ws, hello = await connected(client)
        assert [entry["stream"] for entry in hello["streams"]] == [f"org:{organization.pk}"]
        await apublish(other_organization, "demo.greeting", {"message": "not yours"})
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


# --- live delivery --------------------------------------------------------------------------------------


def test_a_member_receives_their_organizations_events_after_commit(organization, member_of):
    client = signed_in_client(member_of(organization))

    async def scenario():
        ws, _ = await connected(client)
        await apublish(organization, "ledger.balance_changed", {"amount": Decimal("1500.00"), "message": "Hi"})
        event = await ws.receive_json_from(timeout=3)
        assert event["stream"] == f"org:{organization.pk}"
        assert event["seq"] == 1
        assert event["type"] == "ledger.balance_changed"
        assert event["data"] == {"amount": "1500.00", "message": "Hi"}
        assert datetime.fromisoformat(event["at"]).utcoffset().total_seconds() == 0
        assert list(event) == ["stream", "seq", "type", "data", "at"]
        await ws.disconnect()

    run(scenario)


def test_an_event_is_not_published_before_the_transaction_commits(organization, member_of):
    client = signed_in_client(member_of(organization))

    async def scenario():
        ws, _ = await connected(client)

        @sync_to_async
        def publish_then_check_nothing_was_sent_yet():
            with transaction.atomic():
                publish(organization, "demo.greeting", {"message": "pending"})
                assert streams.current_seqs([organization.pk]) == {organization.pk: 0}

        await publish_then_check_nothing_was_sent_yet()
        assert (await ws.receive_json_from(timeout=3))["data"] == {"message": "pending"}
        await ws.disconnect()

    run(scenario)


def test_a_member_does_not_receive_another_organizations_events(organization, other_organization, member_of):
    client = signed_in_client(member_of(organization))

    async def scenario():
        ws, _ = await connected(client)
        await apublish(other_organization, "demo.greeting", {"message": "secret"})
        assert await ws.receive_nothing(timeout=0.3)
        await apublish(organization, "demo.greeting", {"message": "ours"})
        assert (await ws.receive_json_from(timeout=3))["data"] == {"message": "ours"}
        await ws.disconnect()

    run(scenario)


def test_a_rolled_back_transaction_publishes_nothing(organization, member_of):
    client = signed_in_client(member_of(organization))

    class Abort(Exception):
        pass

    @sync_to_async
    def publish_then_roll_back():
        try:
            with transaction.atomic():
                publish(organization, "demo.greeting", {"message": "never"})
                raise Abort
        except Abort:
            pass

    async def scenario():
        ws, _ = await connected(client)
        await publish_then_roll_back()
        assert await ws.receive_nothing(timeout=0.3)
        assert await sync_to_async(streams.current_seqs)([organization.pk]) == {organization.pk: 0}
        await ws.disconnect()

    run(scenario)


def test_ping_pong_and_bad_messages(organization, member_of):
    client = signed_in_client(member_of(organization))

    async def scenario():
        ws, _ = await connected(client)
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_json_from(timeout=3) == {"type": "pong"}
        await ws.send_to(text_data="not json")
        assert (await ws.receive_json_from(timeout=3))["code"] == "bad_request"
        await ws.send_json_to({"type": "subscribe", "stream": "org:*"})
        assert (await ws.receive_json_from(timeout=3))["code"] == "unknown_type"
        await ws.send_json_to({"type": "resume", "stream": f"org:{organization.pk}", "after": "1"})
        assert (await ws.receive_json_from(timeout=3))["code"] == "bad_request"
        await ws.disconnect()

    run(scenario)


# --- replay ---------------------------------------------------------------------------------------------


def test_resume_replays_the_missed_events_in_order(organization, member_of):
    client = signed_in_client(member_of(organization))
    stream = f"org:{organization.pk}"

    async def scenario():
        ws, hello = await connected(client)
        last_seen = hello["streams"][0]["seq"]
        await apublish(organization, "demo.greeting", {"message": "seen"})
        last_seen = (await ws.receive_json_from(timeout=3))["seq"]
        await ws.disconnect()

        for number in range(3):  # while the page is away
            await apublish(organization, "demo.greeting", {"message": f"missed {number}"})

        ws, hello = await connected(client)
        assert hello["streams"][0]["seq"] == 4
        await ws.send_json_to({"type": "resume", "stream": stream, "after": last_seen})
        replayed = [await ws.receive_json_from(timeout=3) for _ in range(3)]
        assert [event["seq"] for event in replayed] == [2, 3, 4]
        assert [event["data"]["message"] for event in replayed] == ["missed 0", "missed 1", "missed 2"]
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


def test_resume_of_a_foreign_or_unknown_stream_is_refused_alike(organization, other_organization, member_of):
    client = signed_in_client(member_of(organization))
    publish(other_organization, "demo.greeting", {"message": "secret"})

    async def scenario():
        ws, _ = await connected(client)
        answers = []
        for stream in (f"org:{other_organization.pk}", "org:987654321", "orders", None):
            await ws.send_json_to({"type": "resume", "stream": stream, "after": 0})
            answers.append(await ws.receive_json_from(timeout=3))
        assert {answer["type"] for answer in answers} == {"error"}
        assert {answer["code"] for answer in answers} == {"forbidden_stream"}
        assert len({answer["message"] for answer in answers}) == 1
        assert "secret" not in str(answers)
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


@override_settings(REALTIME_REPLAY_LIMIT=3)
def test_a_gap_is_reported_when_the_missed_events_were_trimmed(organization, member_of):
    client = signed_in_client(member_of(organization))
    stream = f"org:{organization.pk}"
    for number in range(1, 7):
        publish(organization, "demo.greeting", {"message": str(number)})

    async def scenario():
        ws, hello = await connected(client)
        assert hello["streams"][0]["seq"] == 6

        await ws.send_json_to({"type": "resume", "stream": stream, "after": 1})
        assert await ws.receive_json_from(timeout=3) == {
            "type": "gap",
            "stream": stream,
            "after": 1,
            "first": 4,
            "seq": 6,
        }
        assert [(await ws.receive_json_from(timeout=3))["seq"] for _ in range(3)] == [4, 5, 6]

        await ws.send_json_to({"type": "resume", "stream": stream, "after": 3})  # nothing trimmed after 3
        assert [(await ws.receive_json_from(timeout=3))["seq"] for _ in range(3)] == [4, 5, 6]

        await ws.send_json_to({"type": "resume", "stream": stream, "after": 6})  # up to date
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


def test_a_client_ahead_of_a_reset_stream_is_told_of_a_gap(organization, member_of):
    client = signed_in_client(member_of(organization))

    async def scenario():
        ws, _ = await connected(client)
        await ws.send_json_to({"type": "resume", "stream": f"org:{organization.pk}", "after": 50})
        gap = await ws.receive_json_from(timeout=3)
        assert (gap["type"], gap["first"], gap["seq"]) == ("gap", None, 0)
        await ws.disconnect()

    run(scenario)


@override_settings(REALTIME_REPLAY_LIMIT=5)
def test_the_stored_stream_keeps_only_the_last_events():
    for number in range(12):
        publish(7, "demo.tick", {"n": number})

    replay = streams.replay(7, after=0)
    assert replay.seq == 12
    assert [int(text.split('"seq":')[1].split(",")[0]) for text in replay.events] == [8, 9, 10, 11, 12]
    assert streams.client().zcard(f"{settings.CACHES['default']['KEY_PREFIX']}:live:org:7:events") == 5


# --- memberships that change under an open connection ---------------------------------------------------


@override_settings(REALTIME_MEMBERSHIP_RECHECK_SECONDS=0)
def test_a_removed_member_stops_receiving_the_organizations_events(organization, other_organization, member_of):
    user = member_of(organization)
    MembershipFactory(user=user, organization=other_organization)
    client = signed_in_client(user)

    async def scenario():
        ws, _ = await connected(client)
        await sync_to_async(Membership.objects.filter(user=user, organization=organization).delete)()
        await apublish(organization, "demo.greeting", {"message": "after removal"})
        hello = await ws.receive_json_from(timeout=3)  # the connection noticed, and says so
        assert hello["type"] == "hello"
        assert [entry["stream"] for entry in hello["streams"]] == [f"org:{other_organization.pk}"]
        assert await ws.receive_nothing(timeout=0.3)

        await ws.send_json_to({"type": "resume", "stream": f"org:{organization.pk}", "after": 0})
        assert (await ws.receive_json_from(timeout=3))["code"] == "forbidden_stream"
        await apublish(organization, "demo.greeting", {"message": "still not"})
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


def test_notify_membership_changed_updates_open_connections_at_once(organization, other_organization, member_of):
    user = member_of(organization)
    client = signed_in_client(user)

    @sync_to_async
    def move_user_to_the_other_organization():
        with transaction.atomic():
            Membership.objects.filter(user=user).delete()
            MembershipFactory(user=user, organization=other_organization)
            notify_membership_changed(user)

    async def scenario():
        ws, _ = await connected(client)
        await move_user_to_the_other_organization()
        hello = await ws.receive_json_from(timeout=3)
        assert [entry["stream"] for entry in hello["streams"]] == [f"org:{other_organization.pk}"]
        await apublish(organization, "demo.greeting", {"message": "old"})
        await apublish(other_organization, "demo.greeting", {"message": "new"})
        assert (await ws.receive_json_from(timeout=3))["data"] == {"message": "new"}
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


@override_settings(REALTIME_MEMBERSHIP_RECHECK_SECONDS=0)
def test_signing_out_ends_open_connections(organization, member_of):
    client = signed_in_client(member_of(organization))

    async def scenario():
        ws, _ = await connected(client)
        await sync_to_async(client.logout)()
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}
        await ws.disconnect()

    run(scenario)


# --- the publish call itself ----------------------------------------------------------------------------


def test_publish_takes_an_organization_or_its_id_and_refuses_bad_input(organization):
    publish(organization, "demo.greeting", {"message": "object"})
    publish(organization.pk, "demo.greeting")
    assert streams.current_seqs([organization.pk]) == {organization.pk: 2}

    with pytest.raises(ValueError, match="Event type"):
        publish(organization, "hello", {})
    with pytest.raises(ValueError, match="Event type"):
        publish(organization, "Demo.Greeting", {})
    with pytest.raises(TypeError, match="mapping"):
        publish(organization, "demo.greeting", ["not", "a", "mapping"])
    with pytest.raises(TypeError):
        publish(organization, "demo.greeting", {"value": object()})
    with pytest.raises(TypeError, match="Organization"):
        publish("org:1", "demo.greeting", {})
    assert streams.current_seqs([organization.pk]) == {organization.pk: 2}


def test_a_delivery_failure_after_commit_is_logged_not_raised(organization, caplog, tmp_path):
    # A real failure: the Redis client of this process points at a socket where no server listens.
    streams.client.cache_clear()
    streams._append_script.cache_clear()
    try:
        with override_settings(REDIS_URL=f"unix://{tmp_path}/no-redis.sock"), transaction.atomic():
            publish(organization, "demo.greeting", {"message": "lost"})
    finally:
        streams.client.cache_clear()
        streams._append_script.cache_clear()

    assert "deliver_live_event" in caplog.text  # logged by the robust on-commit hook; the caller carried on
    assert "no-redis.sock" in caplog.text
