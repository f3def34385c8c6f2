"""Hourly abuse reports: floods by client address (IPv6 by /64) and by email domain."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from signatories.investigation import send_abuse_reports
from signatories.models import AbuseReport
from tests.builders import make_letter, make_organizer, make_signature

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 13, 7, tzinfo=UTC)
IN_LAST_HOUR = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.ABUSE_REPORT_IP_THRESHOLD = 5
    settings.ABUSE_REPORT_DOMAIN_THRESHOLD = 8
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def owner(letter):
    return make_organizer(letter, role="owner", email="owner@example.org")


def flood(letter, n, *, ip=None, domain="example.org", at=IN_LAST_HOUR, ips=None):
    for i in range(n):
        make_signature(
            letter,
            email=f"flood{i}-{at:%H%M}@{domain}",
            client_ip=ips[i] if ips else ip,
            signed_at=at + timedelta(seconds=i),
        )


def links(message):
    return re.findall(r"http://testserver(/organize/\S+)", message.body)


def test_an_address_above_the_threshold_is_reported_to_the_owners_only(client, letter, owner):
    make_organizer(letter, role="editor", email="editor@example.org")
    flood(letter, 5, ip="203.0.113.9")
    flood(letter, 4, ip="198.51.100.1", domain="other.example")

    reports = send_abuse_reports(NOW)

    assert [r.letter for r in reports] == [letter]
    (message,) = mail.outbox
    assert message.to == ["owner@example.org"]
    assert message.subject == (
        "Unusual signing on “Assess AI risk with science” in the hour from 2026-11-20 12:00 UTC"
    )
    assert "- 203.0.113.9: 5" in message.body
    assert "198.51.100.1" not in message.body
    (link,) = links(message)
    client.force_login(owner)
    page = client.get(link)
    assert page.status_code == 200
    assert re.search(r'data-total="found">5<', page.text)


def test_ipv6_addresses_are_grouped_by_their_64(client, letter, owner):
    ips = [f"2001:db8:1:2:{i}::1" for i in range(5)]
    flood(letter, 5, ips=ips)
    make_signature(letter, client_ip="2001:db8:1:3::1", signed_at=IN_LAST_HOUR)

    send_abuse_reports(NOW)

    (message,) = mail.outbox
    assert "- 2001:db8:1:2::/64: 5" in message.body
    (link,) = links(message)
    client.force_login(owner)
    assert re.search(r'data-total="found">5<', client.get(link).text)


def test_a_domain_above_the_threshold_is_reported_but_not_a_webmail_one(letter, owner):
    flood(letter, 8, domain="spam.example")
    flood(letter, 9, domain="gmail.com")

    send_abuse_reports(NOW)

    (message,) = mail.outbox
    assert "- spam.example: 8" in message.body
    assert "gmail.com" not in message.body
    assert "domain=spam.example" in links(message)[0]


def test_only_the_last_complete_hour_counts(letter, owner):
    flood(letter, 3, ip="203.0.113.9", at=datetime(2026, 11, 20, 11, 59, 57, tzinfo=UTC))
    flood(letter, 3, ip="203.0.113.9", at=datetime(2026, 11, 20, 13, 0, tzinfo=UTC))
    flood(letter, 4, ip="203.0.113.9", at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC))

    assert send_abuse_reports(NOW) == []
    assert mail.outbox == []


def test_each_letter_is_counted_on_its_own(letter, owner):
    other = make_letter(slug="other")
    make_organizer(other, role="owner", email="other-owner@example.org")
    flood(letter, 3, ip="203.0.113.9")
    flood(other, 3, ip="203.0.113.9")

    assert send_abuse_reports(NOW) == []


def test_a_letter_hour_is_reported_once(letter, owner):
    flood(letter, 5, ip="203.0.113.9")

    send_abuse_reports(NOW)
    send_abuse_reports(NOW + timedelta(minutes=30))

    assert len(mail.outbox) == 1
    report = AbuseReport.objects.get()
    assert report.hour == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert report.findings == {"addresses": [["203.0.113.9", 5]], "domains": []}


def test_a_failed_send_leaves_the_hour_to_report_again(letter, owner, monkeypatch):
    flood(letter, 5, ip="203.0.113.9")
    from signatories import emails

    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(emails, "send_abuse_report", down)
    with pytest.raises(ConnectionRefusedError):
        send_abuse_reports(NOW)
    assert not AbuseReport.objects.exists()
    monkeypatch.undo()

    send_abuse_reports(NOW)

    assert len(mail.outbox) == 1


def test_the_command_reports_the_last_hour(letter, owner, capsys):
    last_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    flood(letter, 5, ip="203.0.113.9", at=last_hour + timedelta(minutes=1))

    call_command("send_abuse_reports")
    call_command("send_abuse_reports")

    assert capsys.readouterr().out.splitlines() == [
        "1 abuse report(s) sent.",
        "0 abuse report(s) sent.",
    ]
    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
