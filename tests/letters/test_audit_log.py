import pytest
from django.urls import reverse

from letters.models import AuditEvent
from tests.builders import make_letter, make_organizer, make_signature

pytestmark = pytest.mark.django_db


def test_audit_log_lists_this_letters_events_newest_first(client, letter):
    owner = make_organizer(letter, "owner", email="olga@organizers.example.org")
    signature = make_signature(letter, name="Spam Bot")
    AuditEvent.record(letter=letter, actor=owner, action="signature.flagged", target=signature)
    AuditEvent.record(
        letter=letter, actor=owner, action="signature.hidden", target=signature, reason="Spam"
    )
    AuditEvent.record(letter=make_letter(slug="other"), actor=owner, action="other.thing")
    client.force_login(owner)

    response = client.get(reverse("organize:audit_log", args=[letter.slug]))

    assert [e.action for e in response.context["page"]] == [
        "signature.hidden",
        "signature.flagged",
    ]
    html = response.content.decode()
    assert "<td>olga@organizers.example.org</td>" in html
    assert "signature: Spam Bot (Example University)" in html
    assert "<dt>reason</dt><dd>Spam</dd>" in html
    assert "other.thing" not in html


def test_audit_log_pages_by_fifty(client, letter):
    owner = make_organizer(letter, "owner")
    for n in range(51):
        AuditEvent.record(letter=letter, actor=owner, action=f"event.{n}")
    client.force_login(owner)
    url = reverse("organize:audit_log", args=[letter.slug])

    first = client.get(url)
    second = client.get(url + "?page=2")

    assert len(first.context["page"]) == 50
    assert [e.action for e in second.context["page"]] == ["event.0"]
    assert 'href="?page=2" rel="next"' in first.content.decode()


@pytest.mark.parametrize("rows", [1, 30])
def test_query_count_does_not_grow(client, letter, rows, django_assert_num_queries):
    owner = make_organizer(letter, "owner")
    for n in range(rows):
        AuditEvent.record(letter=letter, actor=owner, action=f"event.{n}")
    client.force_login(owner)

    # Session, user, letter, membership, count, page of events.
    with django_assert_num_queries(6):
        client.get(reverse("organize:audit_log", args=[letter.slug]))


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_only_the_owner_reads_the_audit_log(client, letter, role):
    client.force_login(make_organizer(letter, role))

    assert client.get(reverse("organize:audit_log", args=[letter.slug])).status_code == 403


def test_operators_read_the_audit_trail_in_the_admin_and_cannot_change_it(client, letter):
    operator = make_organizer(letter, "owner", email="op@example.org")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    event = AuditEvent.record(letter=letter, actor=operator, action="letter.published")
    client.force_login(operator)

    listed = client.get("/admin/letters/auditevent/")
    add = client.get("/admin/letters/auditevent/add/")
    delete = client.post(f"/admin/letters/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert listed.status_code == 200
    assert "letter.published" in listed.text
    assert add.status_code == 403
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
