"""Sending over a kept SMTP connection (config/mail.py), against a real SMTP server."""

import pytest
from django.core.mail import EmailMessage

from config.mail import drop_kept_mailer, send
from config.settings import parse_email_url
from tests.production import SmtpSink


@pytest.fixture
def sink(settings):
    server = SmtpSink()
    server.start()
    settings.MAILERS = {"default": parse_email_url(f"smtp://127.0.0.1:{server.port}")}
    yield server
    drop_kept_mailer()
    server.stop()


def message(to):
    return EmailMessage(subject=f"For {to}", body="Hello.", to=[to])


def recipients(server):
    return [rcpt_tos for rcpt_tos, _ in server.all_messages()]


def test_emails_in_a_row_go_over_one_connection(sink):
    for to in ["a@example.org", "b@example.org", "c@example.org"]:
        send(message(to))

    assert recipients(sink) == [("a@example.org",), ("b@example.org",), ("c@example.org",)]
    assert len(set(sink.peers())) == 1


def test_a_connection_the_server_closed_is_replaced_and_the_email_sent(sink):
    send(message("a@example.org"))
    # The server goes away and comes back on the same port, as after an idle timeout or a
    # restart: the kept connection is dead.
    sink.stop()
    sink.start()

    send(message("b@example.org"))

    assert recipients(sink) == [("a@example.org",), ("b@example.org",)]
    first, second = sink.peers()
    assert first != second


def test_a_server_down_raises_and_the_next_email_after_it_returns_goes_out(sink):
    send(message("a@example.org"))
    sink.stop()

    with pytest.raises(OSError):
        send(message("lost@example.org"))
    with pytest.raises(OSError):
        send(message("lost@example.org"))
    sink.start()
    send(message("b@example.org"))

    assert recipients(sink) == [("a@example.org",), ("b@example.org",)]


def test_a_changed_setting_sends_to_the_new_server(sink, settings):
    send(message("a@example.org"))
    other = SmtpSink()
    other.start()
    try:
        settings.MAILERS = {"default": parse_email_url(f"smtp://127.0.0.1:{other.port}")}

        send(message("b@example.org"))

        assert recipients(other) == [("b@example.org",)]
    finally:
        drop_kept_mailer()
        other.stop()
    assert recipients(sink) == [("a@example.org",)]
