from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from letters.charts import daily_series, hourly_series
from letters.models import AuditEvent, Organizer
from signatories.models import Level, Review
from tests.builders import make_letter, make_organization, make_organizer, make_signature

pytestmark = pytest.mark.django_db


def dashboard_url(letter):
    return reverse("organize:dashboard", args=[letter.slug])


def test_hourly_series_counts_counted_signatures_per_hour_and_fills_gaps(letter):
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    make_signature(letter, confirmed_at=now - timedelta(minutes=5))
    make_signature(letter, confirmed_at=now - timedelta(minutes=10))
    make_signature(letter, confirmed_at=now - timedelta(hours=3))
    make_signature(letter, confirmed_at=now - timedelta(hours=3), hidden_at=now, hidden_reason="x")
    make_signature(letter, level=Level.PENDING)
    make_signature(letter, confirmed_at=now - timedelta(hours=60))

    series = hourly_series(letter, now=now)

    assert len(series) == 48
    assert series[-1] == (now.replace(minute=0), 2)
    assert series[-4] == (now.replace(minute=0) - timedelta(hours=3), 1)
    assert sum(n for _, n in series) == 3


def test_daily_series_runs_from_the_first_signature_to_today(letter):
    now = timezone.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    make_signature(letter, confirmed_at=now - timedelta(days=3))
    make_signature(letter, confirmed_at=now)

    series = daily_series(letter, now=now)

    assert series == [
        (today - timedelta(days=3), 1),
        (today - timedelta(days=2), 0),
        (today - timedelta(days=1), 0),
        (today, 1),
    ]


def test_dashboard_shows_chart_table_top_organizations_and_activity(client, letter):
    owner = make_organizer(letter, "owner")
    toronto = make_organization(name="University of Toronto", ror_id="03dbr7087", domains=())
    for _ in range(3):
        make_signature(letter, organization=toronto, affiliation="University of Toronto")
    make_signature(letter, name="Held Person", review=Review.HELD, hold_reason="Looks alike")
    AuditEvent.record(letter=letter, actor=owner, action="signature.hidden")
    client.force_login(owner)

    response = client.get(dashboard_url(letter))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart__svg" role="img"') == 2
    assert "style=" not in html.split("<main", 1)[-1].split("</main>")[0]
    assert response.context["hourly"]["total"] == 3
    assert response.context["top_organizations"] == [("University of Toronto", 3)]
    assert "<td>University of Toronto</td><td>3</td>" in html
    assert reverse("organize:review_queue", args=[letter.slug]) in html
    assert "1 signature waits for review." in html
    assert "signature.hidden" in html
    assert "Held Person" in html
    assert reverse("organize:export_csv", args=[letter.slug]) in html


@pytest.mark.parametrize("rows", [1, 30])
def test_dashboard_query_count_does_not_grow_with_signatures(
    client, letter, django_assert_num_queries, rows
):
    owner = make_organizer(letter, "owner")
    organization = make_organization(domains=())
    for _ in range(rows):
        make_signature(letter, organization=organization)
        AuditEvent.record(letter=letter, actor=owner, action="signature.hidden")
    client.force_login(owner)

    # Session, user, letter, membership; counts, queue size, hourly, daily, top organizations,
    # recent events, recent signatures (organizations joined).
    with django_assert_num_queries(11):
        response = client.get(dashboard_url(letter))

    assert response.status_code == 200


def test_reviewer_sees_no_export_or_audit_links(client, letter):
    reviewer = make_organizer(letter, "reviewer")
    client.force_login(reviewer)

    html = client.get(dashboard_url(letter)).content.decode()

    assert reverse("organize:export_csv", args=[letter.slug]) not in html
    assert reverse("organize:audit_log", args=[letter.slug]) not in html
    assert reverse("organize:review_queue", args=[letter.slug]) in html


def test_digest_toggle_changes_only_the_organizers_own_setting(client, letter):
    owner = make_organizer(letter, "owner")
    editor = make_organizer(letter, "editor")
    client.force_login(editor)

    response = client.post(
        reverse("organize:daily_digest", args=[letter.slug]), {"daily_digest": "on"}
    )

    assert response.status_code == 302
    assert Organizer.objects.get(user=editor).daily_digest is True
    assert Organizer.objects.get(user=owner).daily_digest is False
    event = AuditEvent.objects.get(letter=letter)
    assert (event.action, event.actor) == ("digest.subscribed", editor)


def test_digest_toggle_with_a_bad_value_changes_nothing(client, letter):
    editor = make_organizer(letter, "editor")
    client.force_login(editor)

    response = client.post(
        reverse("organize:daily_digest", args=[letter.slug]), {"daily_digest": "x"}
    )

    assert response.status_code == 400
    assert "Choose whether to receive the daily digest." in response.content.decode()
    assert Organizer.objects.get(user=editor).daily_digest is False
    assert not AuditEvent.objects.exists()


def test_send_digests_emails_yesterdays_numbers_once_per_day(letter):
    subscriber = make_organizer(letter, "reviewer", email="rosa@organizers.example.org")
    make_organizer(letter, "owner")
    Organizer.objects.filter(user=subscriber).update(daily_digest=True)
    yesterday = timezone.now() - timedelta(days=1)
    make_signature(letter, confirmed_at=yesterday, signed_at=yesterday)
    make_signature(letter, confirmed_at=yesterday, signed_at=yesterday, level=Level.DOMAIN)
    make_signature(letter)

    call_command("send_digests")
    call_command("send_digests")

    assert [message.to for message in mail.outbox] == [["rosa@organizers.example.org"]]
    message = mail.outbox[0]
    assert message.subject == (
        f"“{letter.title}” on {yesterday:%b} {yesterday.day}: 2 new signatures"
    )
    assert "Confirmed and counted: 2" in message.body
    assert "Institutional email: 1" in message.body
    assert "Counted signatures now: 3" in message.body
    assert f"/organize/{letter.slug}/" in message.body


def test_send_digests_for_another_day_sends_again_and_rejects_bad_days(letter):
    subscriber = make_organizer(letter, "owner")
    Organizer.objects.filter(user=subscriber).update(daily_digest=True)

    call_command("send_digests", day="2026-11-01")
    call_command("send_digests", day="2026-11-02")
    call_command("send_digests", day="2026-11-02")

    assert len(mail.outbox) == 2
    with pytest.raises(Exception, match="--day must look like"):
        call_command("send_digests", day="yesterday")


def test_dashboard_of_another_letter_is_404_for_an_organizer(client, letter):
    other = make_letter(slug="other-letter")
    owner = make_organizer(other, "owner")
    client.force_login(owner)

    assert client.get(dashboard_url(letter)).status_code == 404


def test_roles_without_the_audit_log_see_only_their_own_recent_actions(client, letter):
    owner = make_organizer(letter, "owner")
    reviewer = make_organizer(letter, "reviewer")
    AuditEvent.record(letter=letter, actor=owner, action="export.downloaded")
    AuditEvent.record(letter=letter, actor=reviewer, action="signature.flagged")

    client.force_login(reviewer)
    reviewer_view = client.get(dashboard_url(letter))
    client.force_login(owner)
    owner_view = client.get(dashboard_url(letter))

    assert [e.action for e in reviewer_view.context["recent_events"]] == ["signature.flagged"]
    assert "export.downloaded" not in reviewer_view.content.decode()
    assert [e.action for e in owner_view.context["recent_events"]] == [
        "signature.flagged",
        "export.downloaded",
    ]


def test_chart_coordinates_are_not_localised(client, letter):
    owner = make_organizer(letter, "owner")
    for _ in range(3):
        make_signature(letter)
    client.force_login(owner)

    response = client.get(dashboard_url(letter), headers={"accept-language": "fr"})

    html = response.content.decode()
    assert 'lang="fr"' in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert ',5"' not in svg and 'width="11.5"' in svg
