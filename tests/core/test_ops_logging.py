"""Request ids and log lines: every record written during a request carries the request's id, in text for
people and in JSON for log collectors."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
from contextlib import contextmanager

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import path

from apps.core.operations.request_id import current_request_id
from config.logging import build_logging

pytestmark = pytest.mark.urls(__name__)


def _logging_view(request):
    logging.getLogger("kontora.test").warning("handling %s", request.path, extra={"order": 42})
    return HttpResponse("ok")


urlpatterns = [path("log-something", _logging_view)]


@contextmanager
def console_output(fmt: str):
    """What the configured console handler writes, with the formatter ``fmt`` of build_logging()."""
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    config = build_logging(fmt=fmt, level="INFO")
    formatter = logging.config.DictConfigurator(config).configure_formatter(config["formatters"][fmt])
    stream, previous_formatter = io.StringIO(), console.formatter
    previous_stream = console.setStream(stream)
    console.setFormatter(formatter)
    try:
        yield stream
    finally:
        console.setStream(previous_stream)
        console.setFormatter(previous_formatter)


def _lines(stream: io.StringIO, needle: str) -> list[str]:
    return [line for line in stream.getvalue().splitlines() if needle in line]


def test_a_request_gets_an_id_echoed_in_the_response(client):
    response = client.get("/log-something")

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert client.get("/log-something")["X-Request-ID"] != response["X-Request-ID"]


def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/log-something", headers={"X-Request-ID": "nginx-5f2c.1_a"})

    assert response["X-Request-ID"] == "nginx-5f2c.1_a"


@pytest.mark.parametrize(
    "incoming",
    ["", "has space", 'quote"d', "x" * 65, "ok\n", "ok\nforged log line", "привет"],
)
def test_an_insane_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/log-something", headers={"X-Request-ID": incoming})

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_text_log_line_written_during_a_request_carries_its_id(client):
    with console_output("text") as stream:
        response = client.get("/log-something", headers={"X-Request-ID": "req-text-1"})

    [line] = _lines(stream, "handling /log-something")
    assert "WARNING" in line
    assert "[req-text-1] kontora.test: handling /log-something" in line
    assert response["X-Request-ID"] == "req-text-1"


def test_a_json_log_line_has_time_level_logger_message_and_request_id(client):
    with console_output("json") as stream:
        response = client.get("/log-something")

    [line] = _lines(stream, "handling /log-something")
    record = json.loads(line)
    assert record["request_id"] == response["X-Request-ID"]
    assert record["level"] == "WARNING"
    assert record["logger"] == "kontora.test"
    assert record["message"] == "handling /log-something"
    assert record["order"] == 42  # extra={...} fields come along
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", record["time"])


def test_django_s_own_not_found_line_carries_the_id_too(client):
    # Django writes it after the middleware has returned; the id comes from the request in the record.
    with console_output("json") as stream:
        response = client.get("/no-such-page", headers={"X-Request-ID": "req-404"})

    assert response.status_code == 404
    [line] = _lines(stream, "Not Found: /no-such-page")
    assert json.loads(line)["request_id"] == "req-404"


def test_a_json_traceback_stays_on_one_line():
    with console_output("json") as stream:
        try:
            raise ValueError("broken invoice")
        except ValueError:
            logging.getLogger("kontora.test").exception("could not post")

    [line] = _lines(stream, "could not post")
    record = json.loads(line)
    assert record["level"] == "ERROR"
    assert "ValueError: broken invoice" in record["exc_info"]


def test_outside_a_request_the_id_is_a_dash(client):
    client.get("/log-something")

    assert current_request_id() is None
    with console_output("json") as stream:
        logging.getLogger("kontora.test").warning("from a command")

    [line] = _lines(stream, "from a command")
    assert json.loads(line)["request_id"] == "-"


def test_django_records_go_only_through_the_configured_handler():
    # Django attaches a DEBUG console handler and mail_admins to "django"; left there, every django.* record
    # would be written twice in development, the second time as plain text.
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate is True


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ImproperlyConfigured, match='LOG_FORMAT must be "text" or "json"'):
        build_logging(fmt="xml", level="INFO")
